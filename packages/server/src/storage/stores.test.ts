import { DuplicateUserError, ServiceUnavailableError, type OutstandingToken, type UserId } from '@cookiejwt/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { integerId } from '../../test/helpers.js'
import { openTestDatabase, TEST_DIALECTS, type TestDatabase } from '../../test/services/dialects.js'
import { startPostgres, type PostgresHandle } from '../../test/services/index.js'
import { openDatabase } from './db.js'
import { migrateToLatest, pendingMigrations } from './migrate.js'
import { KyselyTokenStore } from './tokens.js'
import { KyselyUserStore } from './users.js'

const NOW = new Date('2024-05-01T12:00:00.123Z')
const LATER = new Date('2024-05-02T12:00:00.000Z')

function outstanding(jti: string, userId: UserId | null, expiresAt = LATER): OutstandingToken {
  return { jti, userId, tokenHash: `sha256$${jti}`, createdAt: NOW, expiresAt }
}

for (const dialect of TEST_DIALECTS) {
  describe(`storage (${dialect})`, () => {
    let database: TestDatabase
    let users: KyselyUserStore
    let tokens: KyselyTokenStore

    beforeEach(async () => {
      database = await openTestDatabase(dialect)
      users = new KyselyUserStore(database)
      tokens = new KyselyTokenStore(database)
    })
    afterEach(() => database.destroy())

    it('migrations are idempotent and leave nothing pending', async () => {
      expect(await pendingMigrations(database)).toEqual([])
      const again = await migrateToLatest(database)
      expect(again.error).toBeUndefined()
      expect(again.results).toEqual([])
    })

    it('creates and reads a user with booleans and timestamps intact', async () => {
      const created = await users.create(
        {
          username: 'ada',
          email: 'ada@example.com',
          password: 'x$hash',
          isStaff: true,
          firstName: 'Ada',
        },
        NOW,
      )
      expect(created).toMatchObject({
        username: 'ada',
        email: 'ada@example.com',
        firstName: 'Ada',
        lastName: '',
        isStaff: true,
        isSuperuser: false,
        isActive: true,
        lastLogin: null,
        password: 'x$hash',
      })
      expect(created.id).toBeGreaterThan(0)
      expect(created.dateJoined.toISOString()).toBe(NOW.toISOString())
      const byId = await users.findById(created.id)
      const byName = await users.findByUsername('ada')
      expect(byId).toEqual(created)
      expect(byName).toEqual(created)
      expect(await users.findByUsername('ADA')).toBeNull()
      expect(await users.findById(integerId(created.id) + 1000)).toBeNull()
    })

    it('refuses a duplicate username with DuplicateUserError', async () => {
      await users.create({ username: 'ada', password: 'x' }, NOW)
      await expect(users.create({ username: 'ada', password: 'y' }, NOW)).rejects.toBeInstanceOf(
        DuplicateUserError,
      )
    })

    it('updates fields, password and last login', async () => {
      const { id } = await users.create({ username: 'bob', password: 'old' }, NOW)
      const updated = await users.update(id, {
        email: 'b@example.com',
        isActive: false,
        isSuperuser: true,
      })
      expect(updated).toMatchObject({ email: 'b@example.com', isActive: false, isSuperuser: true })
      expect(await users.setPassword(id, 'new')).toBe(true)
      expect(await users.setPassword(integerId(id) + 1000, 'new')).toBe(false)
      await users.touchLastLogin(id, LATER)
      const user = await users.findById(id)
      expect(user?.password).toBe('new')
      expect(user?.isActive).toBe(false)
      expect(user?.lastLogin?.toISOString()).toBe(LATER.toISOString())
      expect(await users.update(integerId(id) + 1000, { email: 'x@example.com' })).toBeNull()
    })

    it('records, blacklists once, and reports blacklisted tokens', async () => {
      const { id } = await users.create({ username: 'carol', password: 'x' }, NOW)
      await tokens.recordOutstanding(outstanding('a'.repeat(32), id))
      // Recording twice is harmless (same jti).
      await tokens.recordOutstanding(outstanding('a'.repeat(32), id))
      expect(await tokens.isBlacklisted('a'.repeat(32))).toBe(false)
      expect(await tokens.blacklist(outstanding('a'.repeat(32), id), NOW)).toBe(true)
      expect(await tokens.blacklist(outstanding('a'.repeat(32), id), NOW)).toBe(false)
      expect(await tokens.isBlacklisted('a'.repeat(32))).toBe(true)
      // An unknown token is recorded, then blacklisted.
      expect(await tokens.blacklist(outstanding('b'.repeat(32), id), NOW)).toBe(true)
      expect(await tokens.isBlacklisted('b'.repeat(32))).toBe(true)
      expect(await tokens.isBlacklisted('c'.repeat(32))).toBe(false)
    })

    it('records a token of a deleted user with a null user id, never a foreign-key error', async () => {
      await tokens.recordOutstanding(outstanding('d'.repeat(32), 999_999))
      expect(await tokens.blacklist(outstanding('d'.repeat(32), 999_999), NOW)).toBe(true)
      const row = await database.db
        .selectFrom('token_blacklist_outstandingtoken')
        .select(['user_id', 'token'])
        .where('jti', '=', 'd'.repeat(32))
        .executeTakeFirstOrThrow()
      expect(row).toEqual({ user_id: null, token: `sha256$${'d'.repeat(32)}` })
    })

    it('of 50 concurrent blacklist calls for one token exactly one wins, no row lost or doubled', async () => {
      const { id } = await users.create({ username: 'dave', password: 'x' }, NOW)
      const jti = 'e'.repeat(32)
      await tokens.recordOutstanding(outstanding(jti, id))
      const results = await Promise.all(
        Array.from({ length: 50 }, () => tokens.blacklist(outstanding(jti, id), NOW)),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const rows = await database.db
        .selectFrom('token_blacklist_blacklistedtoken as b')
        .innerJoin('token_blacklist_outstandingtoken as o', 'o.id', 'b.token_id')
        .select('o.jti')
        .execute()
      expect(rows).toEqual([{ jti }])
    })

    it('flushes expired tokens and their blacklist rows only', async () => {
      const past = new Date(NOW.getTime() - 1000)
      await tokens.recordOutstanding(outstanding('f'.repeat(32), null, past))
      await tokens.blacklist(outstanding('f'.repeat(32), null, past), NOW)
      await tokens.recordOutstanding(outstanding('0'.repeat(32), null, LATER))
      expect(await tokens.flushExpired(NOW)).toBe(1)
      expect(await tokens.isBlacklisted('f'.repeat(32))).toBe(false)
      const left = await database.db
        .selectFrom('token_blacklist_outstandingtoken')
        .select('jti')
        .execute()
      expect(left).toEqual([{ jti: '0'.repeat(32) }])
      expect(
        await database.db.selectFrom('token_blacklist_blacklistedtoken').select('id').execute(),
      ).toEqual([])
    })
  })
}

describe('PostgreSQL outage', () => {
  let server: PostgresHandle
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(() => server?.stop())

  it('fails fast with ServiceUnavailableError while down and recovers without reopening', async () => {
    const handle = await openDatabase(server.url)
    try {
      expect((await migrateToLatest(handle)).error).toBeUndefined()
      const users = new KyselyUserStore(handle)
      await users.create({ username: 'erin', password: 'x' }, NOW)

      await server.kill()
      const started = Date.now()
      const results = await Promise.all(
        Array.from({ length: 20 }, () => users.findByUsername('erin').catch((e: unknown) => e)),
      )
      expect(Date.now() - started).toBeLessThan(5000)
      for (const result of results) expect(result).toBeInstanceOf(ServiceUnavailableError)
      await expect(handle.ping()).rejects.toThrow()

      await server.restart()
      await expect
        .poll(
          () =>
            users.findByUsername('erin').then(
              (u) => u?.username,
              () => 'down',
            ),
          {
            timeout: 10_000,
          },
        )
        .toBe('erin')
    } finally {
      await handle.destroy()
    }
  }, 60_000)
})
