import { defineSettings, issueToken, ValidationError, verifyAccessToken, verifyRefreshToken, verifyToken, type User } from '@cookiejwt/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FlowDeps } from '../../src/flows.js'
import { beginMfaLogin, finishMfaLogin, type MfaLoginDeps } from '../../src/mfa/login.js'
import { CodeThrottle, confirmTotp, generateTotpCode, KyselyMfaStore, MfaKeyRing, setupTotp } from '../../src/mfa/index.js'
import { SessionManager } from '../../src/sessions/manager.js'
import { KyselyTokenStore } from '../../src/storage/tokens.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { LoginThrottle } from '../../src/throttle/lockout.js'
import { DatabaseThrottleStore } from '../../src/throttle/store.js'
import { fastHashers, integerId, TEST_KEY } from '../helpers.js'
import { openTestDatabase, TEST_DIALECTS, type TestDatabase } from '../services/dialects.js'

const PASSWORD = 'correct horse battery staple'
const CLIENT = { ip: '192.0.2.7', userAgent: 'vitest' }

for (const dialect of TEST_DIALECTS) {
  describe(`two-step login (${dialect})`, () => {
    let database: TestDatabase
    let clock: Date
    let deps: MfaLoginDeps
    let users: KyselyUserStore
    let ada: User
    let bob: User
    const settings = defineSettings({ signingKey: TEST_KEY, updateLastLogin: true, mfa: { failuresPerUser: 20 } })
    const tick = (seconds: number) => {
      clock = new Date(clock.getTime() + seconds * 1000)
    }
    const enrol = async (user: User) => {
      const { secret } = await setupTotp(deps.mfa, user, { now: clock, ip: CLIENT.ip })
      const { backupCodes } = await confirmTotp(deps.mfa, user, await generateTotpCode(secret, clock), { now: clock, ip: CLIENT.ip })
      tick(30)
      return { secret, backupCodes }
    }
    const mfaTokenOf = async (username: string) => {
      const step = await beginMfaLogin(deps, username, PASSWORD, CLIENT)
      if (!step.mfaRequired) throw new Error('expected the second step')
      return step.mfaToken.token
    }

    beforeEach(async () => {
      database = await openTestDatabase(dialect)
      clock = new Date('2026-04-01T08:00:00.000Z')
      const now = () => clock
      const throttleStore = new DatabaseThrottleStore(database, { now: () => clock.getTime() })
      users = new KyselyUserStore(database)
      const tokens = new KyselyTokenStore(database)
      const hashers = fastHashers()
      const flow: FlowDeps = {
        settings,
        users,
        tokens,
        hashers,
        now,
        sessions: new SessionManager({ settings, database, tokens }),
        throttle: new LoginThrottle(settings.throttle, throttleStore),
      }
      deps = {
        flow,
        mfa: {
          settings,
          store: new KyselyMfaStore(database),
          keyRing: new MfaKeyRing(['m'.repeat(32)]),
          hashers,
          codeThrottle: new CodeThrottle(settings, throttleStore),
        },
        spent: throttleStore,
      }
      const hash = await hashers.hash(PASSWORD)
      ada = await users.create({ username: 'ada', email: 'ada@example.com', password: hash }, clock)
      bob = await users.create({ username: 'bob', email: 'bob@example.com', password: hash }, clock)
    })
    afterEach(() => database.destroy())

    it('without TOTP the password step finishes the login', async () => {
      const step = await beginMfaLogin(deps, 'ada', PASSWORD, CLIENT)
      expect(step.mfaRequired).toBe(false)
      if (step.mfaRequired) return
      expect(verifyAccessToken(settings, step.pair.access.token, { now: clock }).userId).toBe(ada.id)
    })

    it('with TOTP the password step issues only an mfa token, refused as access, refresh or any other type', async () => {
      await enrol(ada)
      const step = await beginMfaLogin(deps, 'ada', PASSWORD, CLIENT)
      expect(step.mfaRequired).toBe(true)
      if (!step.mfaRequired) return
      expect(step).not.toHaveProperty('pair')
      const raw = step.mfaToken.token
      expect(step.mfaToken.payload).toMatchObject({ token_type: 'mfa', user_id: ada.id })
      expect(step.mfaToken.expiresAt.getTime() - clock.getTime()).toBe(300_000)
      for (const type of ['access', 'refresh', 'sliding'] as const) {
        expect(() => verifyToken(settings, raw, type, { now: clock })).toThrow('Token has wrong type')
      }
      expect(() => verifyAccessToken(settings, raw, { now: clock })).toThrow('Token has wrong type')
      expect(() => verifyRefreshToken(settings, raw, { now: clock })).toThrow('Token has wrong type')
      // No login happened yet: no session was started and last_login is untouched.
      expect(await database.db.selectFrom('cookiejwt_session').selectAll().execute()).toEqual([])
      expect((await users.findById(ada.id))!.lastLogin).toBeNull()
    })

    it('a wrong password fails as without a second factor', async () => {
      await enrol(ada)
      await expect(beginMfaLogin(deps, 'ada', 'wrong', CLIENT)).rejects.toMatchObject({ code: 'no_active_account' })
    })

    it('the code step finishes the login once; the mfa token cannot finish another', async () => {
      const { secret } = await enrol(ada)
      const raw = await mfaTokenOf('ada')
      const done = await finishMfaLogin(deps, raw, await generateTotpCode(secret, clock), CLIENT)
      expect(done.method).toBe('totp')
      expect(verifyAccessToken(settings, done.pair.access.token, { now: clock }).userId).toBe(ada.id)
      expect((await users.findById(ada.id))!.lastLogin?.toISOString()).toBe(clock.toISOString())
      tick(30)
      await expect(finishMfaLogin(deps, raw, await generateTotpCode(secret, clock), CLIENT)).rejects.toMatchObject({
        code: 'token_not_valid',
        message: 'Token was already used',
      })
    })

    it('a wrong code keeps the mfa token usable for the right one', async () => {
      const { secret } = await enrol(ada)
      const raw = await mfaTokenOf('ada')
      await expect(finishMfaLogin(deps, raw, '000000', CLIENT)).rejects.toBeInstanceOf(ValidationError)
      await expect(finishMfaLogin(deps, raw, await generateTotpCode(secret, clock), CLIENT)).resolves.toMatchObject({ method: 'totp' })
    })

    it('of concurrent code steps with one mfa token, one finishes the login and the others spend no code', async () => {
      const { backupCodes } = await enrol(ada)
      const raw = await mfaTokenOf('ada')
      const results = await Promise.allSettled(backupCodes.slice(0, 4).map((c) => finishMfaLogin(deps, raw, c, CLIENT)))
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ message: 'Token was already used' })
      // Only the winner's backup code was spent: the other three still finish a new login.
      const spent = backupCodes.slice(0, 4).filter((_, i) => results[i]!.status === 'fulfilled')
      for (const c of backupCodes.slice(0, 4)) {
        const attempt = finishMfaLogin(deps, await mfaTokenOf('ada'), c, CLIENT)
        if (spent.includes(c)) await expect(attempt).rejects.toBeInstanceOf(ValidationError)
        else await expect(attempt).resolves.toMatchObject({ method: 'backup_code' })
      }
    })

    it('finishes with a backup code, which is then spent', async () => {
      const { backupCodes } = await enrol(ada)
      const done = await finishMfaLogin(deps, await mfaTokenOf('ada'), backupCodes[3]!, CLIENT)
      expect(done.method).toBe('backup_code')
      await expect(finishMfaLogin(deps, await mfaTokenOf('ada'), backupCodes[3]!, CLIENT)).rejects.toBeInstanceOf(ValidationError)
    })

    it("another user's mfa token is checked against that user's codes, never the caller's", async () => {
      const a = await enrol(ada)
      await enrol(bob)
      const bobs = await mfaTokenOf('bob')
      await expect(finishMfaLogin(deps, bobs, await generateTotpCode(a.secret, clock), CLIENT)).rejects.toBeInstanceOf(ValidationError)
      await expect(finishMfaLogin(deps, bobs, a.backupCodes[0]!, CLIENT)).rejects.toBeInstanceOf(ValidationError)
    })

    it('refuses an expired, tampered or foreign-key mfa token', async () => {
      const { secret } = await enrol(ada)
      const raw = await mfaTokenOf('ada')
      const [h, p, sig] = raw.split('.') as [string, string, string]
      const forged = JSON.parse(Buffer.from(p, 'base64url').toString())
      forged.user_id = bob.id
      const tampered = `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`
      await expect(finishMfaLogin(deps, tampered, '123456', CLIENT)).rejects.toMatchObject({ code: 'token_not_valid' })
      await expect(finishMfaLogin(deps, 'not-a-token', '123456', CLIENT)).rejects.toMatchObject({ code: 'token_not_valid' })
      const foreign = issueToken(defineSettings({ signingKey: 'z'.repeat(32) }), 'mfa', { user_id: ada.id }, clock).token
      await expect(finishMfaLogin(deps, foreign, await generateTotpCode(secret, clock), CLIENT)).rejects.toMatchObject({
        code: 'token_not_valid',
        message: 'Token is invalid',
      })
      // An access token is no mfa token.
      const access = issueToken(settings, 'access', { user_id: ada.id }, clock).token
      await expect(finishMfaLogin(deps, access, await generateTotpCode(secret, clock), CLIENT)).rejects.toMatchObject({
        message: 'Token has wrong type',
      })
      tick(301)
      await expect(finishMfaLogin(deps, raw, await generateTotpCode(secret, clock), CLIENT)).rejects.toMatchObject({
        code: 'token_not_valid',
        message: 'Token is expired',
      })
    })

    it('refuses the mfa token of a user deactivated between the steps', async () => {
      const { secret } = await enrol(ada)
      const raw = await mfaTokenOf('ada')
      await database.db.updateTable('auth_user').set({ is_active: dialect === 'postgres' ? false : 0 }).where('id', '=', integerId(ada.id)).execute()
      await expect(finishMfaLogin(deps, raw, await generateTotpCode(secret, clock), CLIENT)).rejects.toMatchObject({
        code: 'token_not_valid',
      })
    })
  })
}
