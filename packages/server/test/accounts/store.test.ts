import { defineSettings } from '@cookiejwt/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AccountService, decodeUid, encodeUid } from '../../src/accounts/service.js'
import { AccountStore, accountTokenDigest, newAccountToken } from '../../src/accounts/store.js'
import { EmailQueue } from '../../src/email/queue.js'
import { Mailer } from '../../src/email/mailer.js'
import { SessionManager } from '../../src/sessions/manager.js'
import { KyselyTokenStore } from '../../src/storage/tokens.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { DatabaseThrottleStore } from '../../src/throttle/store.js'
import { fastHashers, PASSWORD, TEST_KEY } from '../helpers.js'
import { TEST_DIALECTS, openTestDatabase, type TestDatabase } from '../services/dialects.js'

describe('reset uids', () => {
  it('are Django’s urlsafe base64 of the id, and nothing else decodes', () => {
    expect(encodeUid(1)).toBe('MQ')
    expect(encodeUid(1234)).toBe('MTIzNA')
    expect(decodeUid('MTIzNA')).toBe(1234)
    for (const bad of ['', 'MQ==', 'MA', 'LTE', 'YWJj', 'M Q', 'x'.repeat(17), 'MDE'])
      expect(decodeUid(bad), bad).toBeNull()
  })
})

for (const dialect of TEST_DIALECTS) {
  describe(`account store and flows (${dialect})`, () => {
    let database: TestDatabase
    beforeEach(async () => {
      database = await openTestDatabase(dialect)
    })
    afterEach(() => database.destroy())

    const service = (clock: () => Date = () => new Date()) => {
      const settings = defineSettings({
        signingKey: TEST_KEY,
        frontendUrl: 'https://app.example.com',
        registration: true,
        emailVerification: 'mandatory',
      })
      const users = new KyselyUserStore(database)
      const queue = new EmailQueue(database)
      return {
        queue,
        users,
        accounts: new AccountService({
          settings,
          users,
          hashers: fastHashers(),
          sessions: new SessionManager({
            settings,
            database,
            tokens: new KyselyTokenStore(database),
          }),
          mailer: new Mailer({ queue, settings }),
          store: new AccountStore(database),
          throttleStore: new DatabaseThrottleStore(database),
          now: clock,
        }),
      }
    }

    it('spends a token exactly once under concurrent requests, and never after it expired', async () => {
      const store = new AccountStore(database)
      const user = await new KyselyUserStore(database).create(
        { username: 'ada', email: 'ada@example.com', password: 'x' },
        new Date(),
      )
      const digest = accountTokenDigest(newAccountToken(), 'password_reset', 'b')
      const now = new Date()
      await store.saveToken(
        digest,
        {
          userId: user.id,
          email: user.email,
          purpose: 'password_reset',
          expiresAt: new Date(now.getTime() + 60_000),
        },
        now,
      )
      expect(await store.findLiveToken(digest, 'verify_email', now)).toBeNull()
      expect(
        await store.spendToken(digest, 'password_reset', new Date(now.getTime() + 60_000)),
      ).toBe(false)
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.spendToken(digest, 'password_reset', now)),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      expect(await store.findLiveToken(digest, 'password_reset', now)).toBeNull()
      expect(await store.flushTokens(new Date(now.getTime() + 1))).toBe(1)
    })

    it('finds users by email case-insensitively and keeps a verified address per user', async () => {
      const users = new KyselyUserStore(database)
      const store = new AccountStore(database)
      const a = await users.create(
        { username: 'a', email: 'Mixed.Case@Example.com', password: 'x' },
        new Date(),
      )
      expect(await store.findUserIdsByEmail('mixed.case@example.COM')).toEqual([a.id])
      expect(await store.isVerified(a.id, a.email)).toBe(false)
      await store.markVerified(a.id, a.email, new Date())
      expect(await store.isVerified(a.id, 'MIXED.case@example.com')).toBe(true)
      expect(await store.isVerified(a.id, 'other@example.com')).toBe(false)
      await store.markVerified(a.id, 'other@example.com', new Date())
      expect(await store.isVerified(a.id, a.email)).toBe(false)
    })

    it('refuses an expired or tampered verification key', async () => {
      let now = new Date('2026-05-01T00:00:00Z')
      const { accounts, queue } = service(() => now)
      await accounts.register(
        { username: 'bob', email: 'bob@example.com', password: PASSWORD },
        { ip: '127.0.0.2' },
      )
      const [message] = await queue.claimDue(now, 10)
      const key = message?.text.match(/verify-email\/(\S+)/)?.[1] as string
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/)
      await expect(
        accounts.verifyEmail(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`),
      ).rejects.toMatchObject({ code: 'invalid' })
      now = new Date(now.getTime() + 259_200_000)
      await expect(accounts.verifyEmail(key)).rejects.toMatchObject({
        fields: { key: ['This verification link is invalid or has expired.'] },
      })
      now = new Date(now.getTime() - 1000)
      expect((await accounts.verifyEmail(key)).username).toBe('bob')
    })

    it('registers, verifies through the queued email, and refuses a link after the address changed', async () => {
      const { accounts, queue, users } = service()
      expect(
        await accounts.register(
          { username: 'ada', email: 'ada@example.com', password: PASSWORD },
          { ip: '127.0.0.1' },
        ),
      ).toEqual({ kind: 'verification_sent' })
      const ada = (await users.findByUsername('ada'))!
      await expect(accounts.checkLogin(ada)).rejects.toMatchObject({ code: 'email_not_verified' })
      const messages = await queue.claimDue(new Date(), 10)
      const keys = messages
        .map((m) => m.text.match(/verify-email\/(\S+)/)?.[1])
        .filter(Boolean) as string[]
      // One at sign-up, one more from the refused login.
      expect(keys).toHaveLength(2)
      await users.update(ada.id, { email: 'new@example.com' })
      await expect(accounts.verifyEmail(keys[0]!)).rejects.toMatchObject({
        fields: { key: ['This verification link is invalid or has expired.'] },
      })
      await users.update(ada.id, { email: 'ada@example.com' })
      expect((await accounts.verifyEmail(keys[1]!)).id).toBe(ada.id)
      await expect(accounts.checkLogin((await users.findById(ada.id))!)).resolves.toBeUndefined()
      // Verifying spent the other link too.
      await expect(accounts.verifyEmail(keys[0]!)).rejects.toMatchObject({ code: 'invalid' })
    })
  })
}
