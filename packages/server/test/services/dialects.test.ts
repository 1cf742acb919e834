import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { openTestDatabase, TEST_DIALECTS } from './dialects.js'

describe('TEST_DIALECTS', () => {
  it('covers SQLite and PostgreSQL unless narrowed explicitly outside CI', () => {
    if (!process.env.COOKIEJWT_TEST_DIALECTS) expect(TEST_DIALECTS).toEqual(['sqlite', 'postgres'])
    if (process.env.CI === 'true') expect(TEST_DIALECTS).toContain('postgres')
  })
})

for (const dialect of TEST_DIALECTS) {
  describe(`openTestDatabase (${dialect})`, () => {
    it('opens a fresh migrated database of that dialect', async () => {
      const database = await openTestDatabase(dialect)
      try {
        expect(database.dialect).toBe(dialect)
        expect(database.url.startsWith(dialect === 'sqlite' ? 'sqlite:' : 'postgres://')).toBe(true)
        await database.ping()
        const users = await database.db.selectFrom('auth_user').select('id').execute()
        expect(users).toEqual([])
      } finally {
        await database.destroy()
      }
    })

    it('gives every call its own database', async () => {
      const a = await openTestDatabase(dialect, { migrate: false })
      const b = await openTestDatabase(dialect, { migrate: false })
      try {
        expect(a.url).not.toBe(b.url)
        await sql`create table only_in_a (id integer)`.execute(a.db)
        await expect(sql`select * from only_in_a`.execute(b.db)).rejects.toThrow()
      } finally {
        await a.destroy()
        await b.destroy()
      }
    })
  })
}
