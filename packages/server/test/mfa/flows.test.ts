import { defineSettings, ValidationError, type AuthSettings, type User } from '@cookiejwt/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LoginThrottle } from '../../src/throttle/lockout.js'
import { DatabaseThrottleStore } from '../../src/throttle/store.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import {
  CodeThrottle,
  confirmTotp,
  disableTotp,
  generateTotpCode,
  INVALID_CODE,
  isTotpEnabled,
  KyselyMfaStore,
  MfaKeyRing,
  regenerateBackupCodes,
  setupTotp,
  totpStatus,
  verifySecondFactor,
  type MfaContext,
  type MfaDeps,
} from '../../src/mfa/index.js'
import { fastHashers, integerId, TEST_KEY } from '../helpers.js'
import { openTestDatabase, TEST_DIALECTS, type TestDatabase } from '../services/dialects.js'

const PASSWORD = 'correct horse battery staple'
const START = new Date('2026-03-01T10:00:00.000Z')
const IP = '192.0.2.10'

for (const dialect of TEST_DIALECTS) {
  describe(`TOTP second factor (${dialect})`, () => {
    let database: TestDatabase
    let clock: Date
    let deps: MfaDeps
    let settings: AuthSettings
    let ada: User
    let bob: User
    const ctx = (ip = IP): MfaContext => ({ now: clock, ip })
    const tick = (seconds: number) => {
      clock = new Date(clock.getTime() + seconds * 1000)
    }

    const build = (keys: string[] = ['k'.repeat(32)], failuresPerUser = 5, failuresPerIp = 100) => {
      settings = defineSettings({ signingKey: TEST_KEY, mfa: { keys, failuresPerUser }, throttle: { failuresPerIp } })
      const throttleStore = new DatabaseThrottleStore(database, { now: () => clock.getTime() })
      deps = {
        settings,
        store: new KyselyMfaStore(database),
        keyRing: new MfaKeyRing(settings.mfa.keys),
        hashers: fastHashers(),
        codeThrottle: new CodeThrottle(settings, throttleStore),
        loginThrottle: new LoginThrottle(settings.throttle, throttleStore),
      }
    }

    const enrol = async (user: User) => {
      const { secret } = await setupTotp(deps, user, ctx())
      const { backupCodes } = await confirmTotp(deps, user, await generateTotpCode(secret, clock), ctx())
      // The next code is of a later step than the one the confirmation used.
      tick(30)
      return { secret, backupCodes }
    }

    beforeEach(async () => {
      database = await openTestDatabase(dialect)
      clock = START
      build()
      const users = new KyselyUserStore(database)
      const hash = await deps.hashers.hash(PASSWORD)
      ada = await users.create({ username: 'ada', email: 'ada@example.com', password: hash }, START)
      bob = await users.create({ username: 'bob', email: 'bob@example.com', password: hash }, START)
    })
    afterEach(() => database.destroy())

    it('enrols: setup returns a secret and otpauth URL, pending until a right code confirms it', async () => {
      const { secret, otpauthUrl } = await setupTotp(deps, ada, ctx())
      expect(secret).toMatch(/^[A-Z2-7]{32}$/)
      expect(otpauthUrl).toBe(`otpauth://totp/cookiejwt:ada?secret=${secret}&issuer=cookiejwt`)
      expect(await totpStatus(deps, ada.id)).toEqual({ enabled: false, pending: true, backupCodesRemaining: 0 })
      expect(await isTotpEnabled(deps, ada.id)).toBe(false)

      const { backupCodes } = await confirmTotp(deps, ada, await generateTotpCode(secret, clock), ctx())
      expect(backupCodes).toHaveLength(10)
      expect(new Set(backupCodes).size).toBe(10)
      expect(await totpStatus(deps, ada.id)).toEqual({ enabled: true, pending: false, backupCodesRemaining: 10 })
      expect(await isTotpEnabled(deps, ada.id)).toBe(true)
    })

    it('stores the secret sealed and the backup codes as keyed digests, never in the clear', async () => {
      const { secret, backupCodes } = await enrol(ada)
      const device = await database.db.selectFrom('cookiejwt_mfa_totp').selectAll().executeTakeFirstOrThrow()
      expect(device.secret).not.toContain(secret)
      expect(device.secret).toMatch(/^v1\$/)
      const rows = await database.db.selectFrom('cookiejwt_mfa_backup_code').select('code_hash').execute()
      expect(rows).toHaveLength(10)
      const dump = JSON.stringify(rows)
      for (const code of backupCodes) {
        expect(dump).not.toContain(code)
        expect(dump).not.toContain(code.replace('-', ''))
      }
      for (const row of rows) expect(row.code_hash).toMatch(/^hmac\$[A-Za-z0-9_-]{8}\$[0-9a-f]{64}$/)
    })

    it('refuses a wrong confirmation code and stays pending', async () => {
      const { secret } = await setupTotp(deps, ada, ctx())
      const right = await generateTotpCode(secret, clock)
      const wrong = right === '000000' ? '111111' : '000000'
      await expect(confirmTotp(deps, ada, wrong, ctx())).rejects.toEqual(new ValidationError({ code: [INVALID_CODE] }))
      expect(await totpStatus(deps, ada.id)).toMatchObject({ enabled: false, pending: true })
    })

    it('a new setup replaces a pending one: the old secret no longer confirms', async () => {
      const first = await setupTotp(deps, ada, ctx())
      const second = await setupTotp(deps, ada, ctx())
      expect(second.secret).not.toBe(first.secret)
      await expect(confirmTotp(deps, ada, await generateTotpCode(first.secret, clock), ctx())).rejects.toBeInstanceOf(ValidationError)
      await expect(confirmTotp(deps, ada, await generateTotpCode(second.secret, clock), ctx())).resolves.toMatchObject({
        backupCodes: expect.any(Array),
      })
    })

    it('refuses setup and confirm once TOTP is on, and confirm without a setup', async () => {
      await expect(confirmTotp(deps, ada, '123456', ctx())).rejects.toMatchObject({
        code: 'mfa_not_enabled',
        message: 'No TOTP setup is pending; start one first.',
      })
      const { secret } = await enrol(ada)
      await expect(setupTotp(deps, ada, ctx())).rejects.toMatchObject({
        code: 'mfa_already_enabled',
        message: 'Two-factor authentication is already on; turn it off first.',
      })
      await expect(confirmTotp(deps, ada, await generateTotpCode(secret, clock), ctx())).rejects.toMatchObject({
        code: 'mfa_already_enabled',
      })
      // The confirmed secret is untouched by the refused setup.
      await expect(verifySecondFactor(deps, ada, await generateTotpCode(secret, clock), ctx())).resolves.toEqual({ method: 'totp' })
    })

    it('accepts codes one step either side of now, not two', async () => {
      const { secret } = await enrol(ada)
      // Two steps past the one the confirmation spent, so the step before now is still unused.
      tick(60)
      const codeAt = (steps: number) => generateTotpCode(secret, new Date(clock.getTime() + steps * 30_000))
      await expect(verifySecondFactor(deps, ada, await codeAt(-2), ctx())).rejects.toBeInstanceOf(ValidationError)
      await expect(verifySecondFactor(deps, ada, await codeAt(2), ctx())).rejects.toBeInstanceOf(ValidationError)
      await expect(verifySecondFactor(deps, ada, await codeAt(-1), ctx())).resolves.toEqual({ method: 'totp' })
      await expect(verifySecondFactor(deps, ada, await codeAt(1), ctx())).resolves.toEqual({ method: 'totp' })
    })

    it('refuses a replayed code, and any code of an earlier step once a later one was used', async () => {
      const { secret } = await enrol(ada)
      const now = await generateTotpCode(secret, clock)
      const previous = await generateTotpCode(secret, new Date(clock.getTime() - 30_000))
      await expect(verifySecondFactor(deps, ada, now, ctx())).resolves.toEqual({ method: 'totp' })
      await expect(verifySecondFactor(deps, ada, now, ctx())).rejects.toEqual(new ValidationError({ code: [INVALID_CODE] }))
      await expect(verifySecondFactor(deps, ada, previous, ctx())).rejects.toBeInstanceOf(ValidationError)
      // Still refused a step later, while it is inside the window.
      tick(30)
      await expect(verifySecondFactor(deps, ada, now, ctx())).rejects.toBeInstanceOf(ValidationError)
    })

    it('the confirmation code cannot be used again to log in', async () => {
      const { secret } = await setupTotp(deps, ada, ctx())
      const code = await generateTotpCode(secret, clock)
      await confirmTotp(deps, ada, code, ctx())
      await expect(verifySecondFactor(deps, ada, code, ctx())).rejects.toBeInstanceOf(ValidationError)
    })

    it('of concurrent requests with the same code exactly one succeeds', async () => {
      const { secret } = await enrol(ada)
      const code = await generateTotpCode(secret, clock)
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => verifySecondFactor(deps, ada, code, ctx())))
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ValidationError)
    })

    it('accepts each backup code once, in any typed form, and counts them down', async () => {
      build(['k'.repeat(32)], 20)
      const { backupCodes } = await enrol(ada)
      const [first, second] = backupCodes as [string, string]
      await expect(verifySecondFactor(deps, ada, first, ctx())).resolves.toEqual({ method: 'backup_code' })
      await expect(verifySecondFactor(deps, ada, first, ctx())).rejects.toEqual(new ValidationError({ code: [INVALID_CODE] }))
      await expect(verifySecondFactor(deps, ada, ` ${second.replace('-', ' ').toUpperCase()} `, ctx())).resolves.toEqual({
        method: 'backup_code',
      })
      expect((await totpStatus(deps, ada.id)).backupCodesRemaining).toBe(8)
      const same = await Promise.allSettled([backupCodes[2]!, backupCodes[2]!, backupCodes[2]!].map((c) => verifySecondFactor(deps, ada, c, ctx())))
      expect(same.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    })

    it("refuses another user's backup code and secret", async () => {
      build(['k'.repeat(32)], 20)
      const a = await enrol(ada)
      const b = await enrol(bob)
      await expect(verifySecondFactor(deps, ada, b.backupCodes[0]!, ctx())).rejects.toBeInstanceOf(ValidationError)
      // Bob's sealed secret copied into Ada's row does not open (bound to its user).
      const bobRow = await database.db.selectFrom('cookiejwt_mfa_totp').select('secret').where('user_id', '=', bob.id).executeTakeFirstOrThrow()
      await database.db.updateTable('cookiejwt_mfa_totp').set({ secret: bobRow.secret }).where('user_id', '=', ada.id).execute()
      await expect(verifySecondFactor(deps, ada, await generateTotpCode(b.secret, clock), ctx())).rejects.toBeInstanceOf(ValidationError)
      await expect(verifySecondFactor(deps, ada, await generateTotpCode(a.secret, clock), ctx())).rejects.toBeInstanceOf(ValidationError)
    })

    it('throttles wrong codes per user: after the limit even the right code is 429, until the window ends', async () => {
      const { secret } = await enrol(ada)
      for (let i = 0; i < 5; i++) {
        await expect(verifySecondFactor(deps, ada, `00000${i}`, ctx(`192.0.2.${50 + i}`))).rejects.toBeInstanceOf(ValidationError)
      }
      const right = await generateTotpCode(secret, clock)
      await expect(verifySecondFactor(deps, ada, right, ctx('198.51.100.1'))).rejects.toMatchObject({
        code: 'throttled',
        message: 'Request was throttled. Expected available in 3600 seconds.',
        retryAfter: 3600,
      })
      await expect(verifySecondFactor(deps, ada, 'abcde-fgh12', ctx())).rejects.toMatchObject({ code: 'throttled' })
      // Bob is not locked by Ada's counter.
      await enrol(bob).then(({ secret: s }) => generateTotpCode(s, clock)).then((code) =>
        expect(verifySecondFactor(deps, bob, code, ctx('198.51.100.2'))).resolves.toEqual({ method: 'totp' }),
      )
      tick(3601)
      await expect(verifySecondFactor(deps, ada, await generateTotpCode(secret, clock), ctx())).resolves.toEqual({ method: 'totp' })
    })

    it('a concurrent burst of wrong codes gets no more guesses checked than the limit', async () => {
      await enrol(ada)
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => verifySecondFactor(deps, ada, String(100000 + i), ctx(`192.0.2.${100 + i}`))),
      )
      const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'accepted'))
      expect(codes.filter((c) => c === 'invalid')).toHaveLength(5)
      expect(codes.filter((c) => c === 'throttled')).toHaveLength(15)
    })

    it('a right code forgets the wrong ones before it', async () => {
      const { secret } = await enrol(ada)
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 4; i++) await expect(verifySecondFactor(deps, ada, 'zzzzz-zzzzz', ctx())).rejects.toBeInstanceOf(ValidationError)
        await expect(verifySecondFactor(deps, ada, await generateTotpCode(secret, clock), ctx())).resolves.toEqual({ method: 'totp' })
        tick(30)
      }
    })

    it('counts wrong codes against the IP across users', async () => {
      build(['k'.repeat(32)], 100, 8)
      await enrol(ada)
      const b = await enrol(bob)
      for (let i = 0; i < 8; i++) await expect(verifySecondFactor(deps, ada, '999999', ctx('203.0.113.9'))).rejects.toBeInstanceOf(ValidationError)
      await expect(verifySecondFactor(deps, bob, await generateTotpCode(b.secret, clock), ctx('203.0.113.9'))).rejects.toMatchObject({
        code: 'throttled',
      })
      await expect(verifySecondFactor(deps, bob, await generateTotpCode(b.secret, clock), ctx('203.0.113.10'))).resolves.toEqual({
        method: 'totp',
      })
    })

    it('throttles confirmation codes too', async () => {
      const { secret } = await setupTotp(deps, ada, ctx())
      for (let i = 0; i < 5; i++) await expect(confirmTotp(deps, ada, '000000', ctx())).rejects.toBeInstanceOf(ValidationError)
      await expect(confirmTotp(deps, ada, await generateTotpCode(secret, clock), ctx())).rejects.toMatchObject({ code: 'throttled' })
    })

    it('disables only with the right password, removing the secret and every backup code', async () => {
      const { backupCodes } = await enrol(ada)
      await expect(disableTotp(deps, ada, 'wrong password', ctx())).rejects.toEqual(
        new ValidationError({ password: ['Your password was entered incorrectly. Please enter it again.'] }),
      )
      expect(await isTotpEnabled(deps, ada.id)).toBe(true)
      await disableTotp(deps, ada, PASSWORD, ctx())
      expect(await totpStatus(deps, ada.id)).toEqual({ enabled: false, pending: false, backupCodesRemaining: 0 })
      expect(await database.db.selectFrom('cookiejwt_mfa_backup_code').selectAll().execute()).toEqual([])
      await expect(verifySecondFactor(deps, ada, backupCodes[0]!, ctx())).rejects.toMatchObject({ code: 'mfa_not_enabled' })
      await expect(disableTotp(deps, ada, PASSWORD, ctx())).rejects.toMatchObject({
        code: 'mfa_not_enabled',
        message: 'Two-factor authentication is not on.',
      })
    })

    it('wrong passwords when disabling count as failed logins of the username', async () => {
      for (let i = 0; i < 10; i++) await expect(disableTotp(deps, ada, 'nope', ctx())).rejects.toBeInstanceOf(ValidationError)
      await expect(disableTotp(deps, ada, PASSWORD, ctx())).rejects.toMatchObject({ code: 'throttled' })
    })

    it('regenerates backup codes with the password: the old ones stop working', async () => {
      build(['k'.repeat(32)], 20)
      const { backupCodes: old } = await enrol(ada)
      await expect(regenerateBackupCodes(deps, ada, 'nope', ctx())).rejects.toBeInstanceOf(ValidationError)
      const { backupCodes } = await regenerateBackupCodes(deps, ada, PASSWORD, ctx())
      expect(backupCodes).toHaveLength(10)
      await expect(verifySecondFactor(deps, ada, old[0]!, ctx())).rejects.toBeInstanceOf(ValidationError)
      await expect(verifySecondFactor(deps, ada, backupCodes[0]!, ctx())).resolves.toEqual({ method: 'backup_code' })
      await expect(regenerateBackupCodes(deps, bob, PASSWORD, ctx())).rejects.toMatchObject({ code: 'mfa_not_enabled' })
    })

    it('keeps working across a key rotation and reseals the secret under the new key on use', async () => {
      const oldKey = 'o'.repeat(32)
      const newKey = 'n'.repeat(32)
      build([oldKey], 20)
      const { secret, backupCodes } = await enrol(ada)
      build([newKey, oldKey], 20)
      await expect(verifySecondFactor(deps, ada, await generateTotpCode(secret, clock), ctx())).resolves.toEqual({ method: 'totp' })
      await expect(verifySecondFactor(deps, ada, backupCodes[0]!, ctx())).resolves.toEqual({ method: 'backup_code' })
      const row = await database.db.selectFrom('cookiejwt_mfa_totp').select('secret').executeTakeFirstOrThrow()
      expect(row.secret.split('$')[1]).toBe(new MfaKeyRing([newKey]).currentKeyId)
      // Once resealed, the old key can go: the secret still opens.
      build([newKey], 20)
      tick(30)
      await expect(verifySecondFactor(deps, ada, await generateTotpCode(secret, clock), ctx())).resolves.toEqual({ method: 'totp' })
    })

    it('fails closed when no key of the ring opens the secret, and says so in an event', async () => {
      const { secret } = await enrol(ada)
      build(['x'.repeat(32)])
      const events: unknown[] = []
      deps = { ...deps, onEvent: (e) => events.push(e) }
      await expect(verifySecondFactor(deps, ada, await generateTotpCode(secret, clock), ctx())).rejects.toBeInstanceOf(ValidationError)
      expect(events).toEqual([
        { event: 'mfa_secret_unreadable', userId: ada.id },
        { event: 'mfa_failed', userId: ada.id, ip: IP, locked: [] },
      ])
    })

    it('a deleted user takes its authenticator and backup codes along', async () => {
      await enrol(ada)
      await database.db.deleteFrom('auth_user').where('id', '=', integerId(ada.id)).execute()
      expect(await database.db.selectFrom('cookiejwt_mfa_totp').selectAll().execute()).toEqual([])
      expect(await database.db.selectFrom('cookiejwt_mfa_backup_code').selectAll().execute()).toEqual([])
    })

    it('refuses malformed codes as wrong codes, never an exception of another kind', async () => {
      build(['k'.repeat(32)], 100)
      await enrol(ada)
      for (const bad of ['', ' ', '12345', '1234567', '１２３４５６', 'x'.repeat(10_000), '../../etc', '\u0000\u0000\u0000\u0000\u0000\u0000']) {
        const error = await verifySecondFactor(deps, ada, bad, ctx()).catch((e: unknown) => e)
        expect(error).toEqual(new ValidationError({ code: [INVALID_CODE] }))
      }
    })
  })
}
