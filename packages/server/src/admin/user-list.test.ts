import { ValidationError, type User } from '@cookiejwt/core'
import { sql, type CompiledQuery, type KyselyPlugin } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, TEST_DIALECTS, type TestDatabase } from '../../test/services/dialects.js'
import { toDbBool, toDbDate } from '../storage/values.js'
import { encodeCursor } from './keyset.js'
import { escapeLike, listUsers, parseUserListQuery, parseUserOrdering } from './user-list.js'

const BASE = Date.parse('2024-01-01T00:00:00.000Z')

interface Seed {
  username: string
  email?: string
  first?: string
  last?: string
  active?: boolean
  staff?: boolean
  superuser?: boolean
  joined?: number
  login?: number | null
}

async function seed(database: TestDatabase, rows: Seed[]): Promise<void> {
  const d = database.dialect
  await database.db
    .insertInto('auth_user')
    .values(
      rows.map((r, i) => ({
        username: r.username,
        email: r.email ?? `${r.username}@example.com`,
        first_name: r.first ?? '',
        last_name: r.last ?? '',
        is_active: toDbBool(d, r.active ?? true),
        is_staff: toDbBool(d, r.staff ?? false),
        is_superuser: toDbBool(d, r.superuser ?? false),
        password: 'x$not-a-hash',
        date_joined: toDbDate(d, new Date(BASE + (r.joined ?? i) * 1000)),
        last_login:
          r.login === undefined || r.login === null
            ? null
            : toDbDate(d, new Date(BASE + r.login * 1000)),
      })),
    )
    .execute()
}

/** Reads every page forwards and returns the usernames in order, checking no page is larger than asked. */
async function readAll(database: TestDatabase, query: Record<string, string>): Promise<string[]> {
  const names: string[] = []
  let cursor: string | null = null
  for (let guard = 0; guard < 100; guard++) {
    const page = await listUsers(
      database,
      parseUserListQuery({ ...query, ...(cursor ? { cursor } : {}) }, database.dialect),
    )
    expect(page.results.length).toBeLessThanOrEqual(Number(query.page_size ?? 25))
    names.push(...page.results.map((u) => u.username))
    cursor = page.next
    if (!cursor) return names
  }
  throw new Error('pagination did not end')
}

const usernames = (page: { results: User[] }) => page.results.map((u) => u.username)

describe('user list query parsing', () => {
  it('defaults to username order, 25 a page, no filters', () => {
    const q = parseUserListQuery({}, 'sqlite')
    expect(q).toMatchObject({
      terms: [],
      pageSize: 25,
      cursor: null,
      ordering: { name: 'username', descending: false },
    })
  })

  it('caps page_size at 100 and refuses non-numbers, zero and negatives with a field error', () => {
    expect(parseUserListQuery({ page_size: '500' }, 'sqlite').pageSize).toBe(100)
    for (const bad of ['0', '-1', 'ten', '1.5', '1e3', ' 5']) {
      expect(() => parseUserListQuery({ page_size: bad }, 'sqlite')).toThrow(ValidationError)
    }
  })

  it('refuses an ordering outside the allow-list, naming the parameter', () => {
    for (const bad of [
      'password',
      '-password',
      'is_staff',
      'username desc',
      '--id',
      '__proto__',
      'constructor',
    ]) {
      try {
        parseUserListQuery({ ordering: bad }, 'sqlite')
        expect.unreachable(`ordering=${bad} was accepted`)
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError)
        expect(Object.keys((error as ValidationError).fields)).toEqual(['ordering'])
      }
    }
    expect(parseUserOrdering('-last_login')).toMatchObject({
      descending: true,
      field: { column: 'last_login' },
    })
  })

  it('refuses a malformed boolean filter and reports every bad parameter at once', () => {
    try {
      parseUserListQuery(
        { is_active: 'yes', is_staff: 'maybe', page_size: 'x', ordering: 'nope' },
        'sqlite',
      )
      expect.unreachable()
    } catch (error) {
      expect((error as ValidationError).fields).toMatchObject({
        is_active: ['Must be a valid boolean: true or false.'],
        is_staff: ['Must be a valid boolean: true or false.'],
        page_size: ['A positive integer is required.'],
        ordering: [expect.stringContaining('Select a valid choice')],
      })
    }
    expect(
      parseUserListQuery({ is_active: 'false', is_staff: '1', is_superuser: '' }, 'sqlite'),
    ).toMatchObject({
      isActive: false,
      isStaff: true,
      isSuperuser: undefined,
    })
  })

  it('refuses a repeated parameter, a null character and an over-long search', () => {
    expect(() => parseUserListQuery({ is_active: ['true', 'false'] }, 'sqlite')).toThrow(
      ValidationError,
    )
    expect(() => parseUserListQuery({ search: 'a\u0000b' }, 'sqlite')).toThrow(ValidationError)
    expect(() => parseUserListQuery({ search: 'a'.repeat(257) }, 'sqlite')).toThrow(ValidationError)
    expect(() => parseUserListQuery({ search: 'a b c d e f g h i j k' }, 'sqlite')).toThrow(
      ValidationError,
    )
  })

  it('refuses tampered, truncated, foreign and non-canonical cursors with a cursor field error', () => {
    const ordering = parseUserOrdering('username')
    const good = encodeCursor(ordering, { key: 'ada', id: 3, direction: 'next' })
    expect(parseUserListQuery({ cursor: good }, 'sqlite').cursor).toEqual({
      key: 'ada',
      id: 3,
      direction: 'next',
    })
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const bad = [
      good.slice(0, -3),
      `${good}A`,
      `${good}=`,
      '!!!!',
      'a'.repeat(2000),
      b64([1, 2]),
      b64('text'),
      b64({ o: 'username', k: 'ada', i: 3, d: 'x' }),
      b64({ o: 'email', k: 'ada', i: 3, d: 'n' }),
      b64({ o: 'username', k: 'ada', i: -3, d: 'n' }),
      b64({ o: 'username', k: 'ada', i: 1.5, d: 'n' }),
      b64({ o: 'username', k: 'ada', i: '3', d: 'n' }),
      b64({ o: 'username', k: 7, i: 3, d: 'n' }),
      b64({ o: 'username', k: null, i: 3, d: 'n' }),
      b64({ o: 'username', k: 'a\u0000', i: 3, d: 'n' }),
      b64({ o: 'username', k: 'ada', i: 3, d: 'n', extra: 1 }),
      Buffer.from('{"o":"username",').toString('base64url'),
    ]
    for (const cursor of bad) {
      try {
        parseUserListQuery({ cursor }, 'sqlite')
        expect.unreachable(`cursor ${cursor} was accepted`)
      } catch (error) {
        expect((error as ValidationError).fields).toEqual({ cursor: ['Invalid cursor.'] })
      }
    }
  })

  it('accepts on PostgreSQL only timestamps it can cast back', () => {
    const ordering = parseUserOrdering('date_joined')
    const at = (k: unknown) =>
      Buffer.from(JSON.stringify({ o: 'date_joined', k, i: 1, d: 'n' })).toString('base64url')
    expect(
      parseUserListQuery(
        { ordering: 'date_joined', cursor: at('2024-01-01 00:00:00.123456+00') },
        'postgres',
      ).cursor,
    ).toMatchObject({
      id: 1,
    })
    for (const bad of [
      '2024-13-01 00:00:00+00',
      '2024-02-30 00:00:00',
      '2024-01-01 25:00:00',
      "2024'; drop",
      'now',
      null,
      5,
    ]) {
      expect(
        () => parseUserListQuery({ ordering: 'date_joined', cursor: at(bad) }, 'postgres'),
        String(bad),
      ).toThrow(ValidationError)
    }
    expect(ordering.field.nullable).toBe(false)
  })

  it('escapes LIKE wildcards and the escape character', () => {
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\')
  })
})

for (const dialect of TEST_DIALECTS) {
  describe(`user list (${dialect})`, () => {
    let database: TestDatabase
    beforeAll(async () => {
      database = await openTestDatabase(dialect)
      await seed(database, [
        {
          username: 'ada',
          first: 'Ada',
          last: 'Lovelace',
          staff: true,
          superuser: true,
          login: 50,
        },
        { username: 'bob', email: 'bob@Example.org', last: 'Builder', login: 10 },
        { username: 'carol_x', email: 'carol@example.com' },
        { username: 'caroly', email: 'caroly@example.com', active: false },
        { username: 'dan', email: '100%real@example.com', staff: true },
        { username: 'erin', first: 'Back\\slash', login: 10 },
        { username: 'frank', last: 'lovelace', login: 30 },
      ])
    })
    afterAll(() => database.destroy())

    const list = (query: Record<string, string>) =>
      listUsers(database, parseUserListQuery(query, dialect))

    it('lists every user by username with the total count, never a password hash', async () => {
      const page = await list({})
      expect(page.count).toBe(7)
      expect(usernames(page)).toEqual(['ada', 'bob', 'carol_x', 'caroly', 'dan', 'erin', 'frank'])
      expect(page.next).toBeNull()
      expect(page.previous).toBeNull()
      expect(page.results[0]).toMatchObject({ isStaff: true, isSuperuser: true, isActive: true })
    })

    it('searches username, email and names case-insensitively, every word', async () => {
      expect(usernames(await list({ search: 'LOVELACE' }))).toEqual(['ada', 'frank'])
      expect(usernames(await list({ search: 'example.ORG' }))).toEqual(['bob'])
      expect(usernames(await list({ search: 'ada lovelace' }))).toEqual(['ada'])
      expect((await list({ search: '  lovelace   ' })).count).toBe(2)
    })

    it('treats % _ and \\ in the search as literal characters', async () => {
      // "carol_" would match "caroly" if _ were a wildcard; "%" would match everyone.
      expect(usernames(await list({ search: 'carol_' }))).toEqual(['carol_x'])
      expect(usernames(await list({ search: '%' }))).toEqual(['dan'])
      expect(usernames(await list({ search: '100%r' }))).toEqual(['dan'])
      expect(usernames(await list({ search: '_' }))).toEqual(['carol_x'])
      expect(usernames(await list({ search: 'k\\s' }))).toEqual(['erin'])
      expect(usernames(await list({ search: '\\' }))).toEqual(['erin'])
      expect((await list({ search: "' or 1=1 --" })).count).toBe(0)
    })

    it('filters by is_active, is_staff and is_superuser, with the count of the filtered list', async () => {
      expect(usernames(await list({ is_active: 'false' }))).toEqual(['caroly'])
      expect(usernames(await list({ is_staff: 'true' }))).toEqual(['ada', 'dan'])
      expect(usernames(await list({ is_staff: 'true', is_superuser: 'false' }))).toEqual(['dan'])
      const page = await list({ is_active: 'true', search: 'carol' })
      expect([page.count, usernames(page)]).toEqual([1, ['carol_x']])
    })

    it('orders by last_login with never-logged-in users lowest, ties broken by id, both ways', async () => {
      expect(usernames(await list({ ordering: 'last_login' }))).toEqual([
        'carol_x',
        'caroly',
        'dan',
        'bob',
        'erin',
        'frank',
        'ada',
      ])
      expect(usernames(await list({ ordering: '-last_login' }))).toEqual([
        'ada',
        'frank',
        'erin',
        'bob',
        'dan',
        'caroly',
        'carol_x',
      ])
    })

    it('pages through every ordering in both directions without repeating or skipping a row', async () => {
      for (const ordering of [
        'id',
        'username',
        '-username',
        'email',
        'last_name',
        '-first_name',
        'date_joined',
        '-date_joined',
        'last_login',
        '-last_login',
      ]) {
        const whole = usernames(await list({ ordering, page_size: '100' }))
        const forward = await readAll(database, { ordering, page_size: '2' })
        expect(forward, ordering).toEqual(whole)
        // Walk back from the last page with `previous`.
        let page = await list({ ordering, page_size: '2' })
        const pages = [usernames(page)]
        while (page.next) {
          page = await list({ ordering, page_size: '2', cursor: page.next })
          pages.push(usernames(page))
        }
        const back: string[][] = []
        while (page.previous) {
          page = await list({ ordering, page_size: '2', cursor: page.previous })
          back.unshift(usernames(page))
        }
        expect(back, ordering).toEqual(pages.slice(0, -1))
        expect(page.previous).toBeNull()
      }
    })

    it('refuses a cursor made for another ordering', async () => {
      const page = await list({ ordering: 'email', page_size: '2' })
      expect(page.next).not.toBeNull()
      expect(() =>
        parseUserListQuery({ ordering: 'username', cursor: page.next! }, dialect),
      ).toThrow(ValidationError)
    })
  })

  describe(`user list pagination while rows are inserted (${dialect})`, () => {
    let database: TestDatabase
    beforeAll(async () => {
      database = await openTestDatabase(dialect)
    })
    afterAll(() => database.destroy())

    it('never repeats or skips a row that was there all along', async () => {
      const original = Array.from({ length: 40 }, (_, i) => ({
        username: `u${String(i * 2).padStart(3, '0')}`,
        joined: i * 2,
        login: i % 3 === 0 ? null : i,
      }))
      await seed(database, original)
      for (const ordering of ['username', '-date_joined', 'last_login', 'id']) {
        const seen: string[] = []
        let page = await listUsers(
          database,
          parseUserListQuery({ ordering, page_size: '7' }, dialect),
        )
        seen.push(...usernames(page))
        let round = 0
        while (page.next) {
          // Rows that sort before, between and after the position, inserted between page reads.
          round++
          await seed(database, [
            {
              username: `u${String(round * 7).padStart(3, '0')}x${ordering}`,
              joined: round * 7 + 0.5,
              login: round,
            },
            { username: `a${round}${ordering}`, joined: -round, login: null },
            { username: `z${round}${ordering}`, joined: 1000 + round, login: 1000 },
          ])
          page = await listUsers(
            database,
            parseUserListQuery({ ordering, page_size: '7', cursor: page.next }, dialect),
          )
          seen.push(...usernames(page))
        }
        const originals = seen.filter((name) => /^u\d{3}$/.test(name))
        expect(new Set(seen).size, ordering).toBe(seen.length)
        expect([...originals].sort(), ordering).toEqual(original.map((r) => r.username).sort())
      }
    })
  })
}

for (const dialect of TEST_DIALECTS) {
  describe(`user list query plan (${dialect})`, () => {
    let database: TestDatabase
    beforeAll(async () => {
      database = await openTestDatabase(dialect)
      for (let start = 0; start < 5000; start += 500) {
        await seed(
          database,
          Array.from({ length: 500 }, (_, i) => ({
            username: `user${String(start + i).padStart(5, '0')}`,
            joined: start + i,
          })),
        )
      }
      if (dialect === 'postgres') await sql`analyze auth_user`.execute(database.db)
    })
    afterAll(() => database.destroy())

    it('reads the default order (first page and a cursor page) from an index, with no full scan and no sort', async () => {
      // The SQL listUsers really sends, captured on its way to the driver.
      const sent: CompiledQuery[] = []
      const capture: KyselyPlugin = {
        transformQuery: (args) => {
          sent.push(database.db.getExecutor().compileQuery(args.node, args.queryId))
          return args.node
        },
        transformResult: async (args) => args.result,
      }
      const handle = { ...database, db: database.db.withPlugin(capture) }
      const first = await listUsers(handle, parseUserListQuery({}, dialect))
      await listUsers(handle, parseUserListQuery({ cursor: first.next! }, dialect))
      const pages = sent.filter((q) => /order by/i.test(q.sql) && /limit/i.test(q.sql))
      expect(pages.length).toBeGreaterThanOrEqual(2)
      for (const query of pages) {
        if (dialect === 'sqlite') {
          const raw = (await import('better-sqlite3')).default
          const connection = new raw(database.url.slice('sqlite:'.length), { readonly: true })
          try {
            const plan = (
              connection
                .prepare(`explain query plan ${query.sql}`)
                .all(...(query.parameters as unknown[])) as { detail: string }[]
            )
              .map((r) => r.detail)
              .join('; ')
            expect(plan, query.sql).toMatch(/USING (COVERING )?INDEX sqlite_autoindex_auth_user_1/)
            expect(plan, query.sql).not.toMatch(/TEMP B-TREE|SCAN auth_user$/)
          } finally {
            connection.close()
          }
        } else {
          const explained = await sql
            .raw<{ 'QUERY PLAN': string }>(`explain ${inline(query)}`)
            .execute(database.db)
          const plan = explained.rows.map((r) => r['QUERY PLAN']).join('; ')
          expect(plan, query.sql).toMatch(/Index (Only )?Scan/)
          expect(plan, query.sql).not.toMatch(/Seq Scan|Sort/)
        }
      }
    })
  })
}

/** A PostgreSQL query with its parameters written in as literals, for EXPLAIN (test data only: no quotes). */
function inline(query: CompiledQuery): string {
  return query.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const value = query.parameters[Number(n) - 1]
    return typeof value === 'number' ? String(value) : `'${String(value).replace(/'/g, "''")}'`
  })
}
