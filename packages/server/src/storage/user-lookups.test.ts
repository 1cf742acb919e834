import { execFileSync } from 'node:child_process'
import SQLite from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTestDatabase, TEST_DIALECTS, type TestDatabase } from '../../test/services/dialects.js'
import { KyselyUserStore } from './users.js'

// findById on the hot path: the lookups of one event-loop turn share one check of the database (SQLite) or one query
// (PostgreSQL), made after the last of them was asked for. Each must still see every commit made before it asked.
for (const dialect of TEST_DIALECTS) {
  describe(`user lookups of one event-loop turn (${dialect})`, () => {
    let database: TestDatabase
    let users: KyselyUserStore

    beforeEach(async () => {
      database = await openTestDatabase(dialect)
      users = new KyselyUserStore(database)
    })
    afterEach(() => database.destroy())

    /** Commits an UPDATE from outside this process, synchronously: nothing of this process runs meanwhile. */
    function commitElsewhere(statement: string): void {
      if (dialect === 'sqlite') {
        const other = new SQLite(database.url.slice('sqlite:'.length))
        try {
          other.exec(statement)
        } finally {
          other.close()
        }
      } else {
        execFileSync('psql', [database.url, '-v', 'ON_ERROR_STOP=1', '-qc', statement])
      }
    }

    async function create(username: string) {
      return (await users.create({ username, password: '!' }, new Date())).id as number
    }

    it('sees a commit made after the lookups were asked for, before they resolved', async () => {
      const id = await create('ada')
      expect((await users.findById(id))?.isActive).toBe(true)
      const lookups = [users.findById(id), users.findById(id), users.findById(id)]
      commitElsewhere(`update auth_user set is_active = false where id = ${id}`)
      const found = await Promise.all(lookups)
      expect(found.map((user) => user?.isActive)).toEqual([false, false, false])
      // Read once for the three and shared: the same frozen object.
      expect(found[1]).toBe(found[0])
      expect(found[2]).toBe(found[0])
      expect(Object.isFrozen(found[0])).toBe(true)
    })

    it('answers different users, a missing one and a repeated one asked for in the same turn', async () => {
      const ada = await create('ada')
      const bob = await create('bob')
      const found = await Promise.all([
        users.findById(ada),
        users.findById(bob),
        users.findById(bob + 100),
        users.findById(ada),
        users.findById(String(bob)),
      ])
      expect(found.map((user) => user?.username ?? null)).toEqual([
        'ada',
        'bob',
        null,
        'ada',
        'bob',
      ])
    })

    it('reads again for a lookup asked for after the last read', async () => {
      const id = await create('ada')
      expect((await users.findById(id))?.lastName).toBe('')
      commitElsewhere(`update auth_user set last_name = 'Lovelace' where id = ${id}`)
      expect((await users.findById(id))?.lastName).toBe('Lovelace')
    })

    it('fails every lookup of the turn with a 503 when the database is gone', async () => {
      const id = await create('ada')
      await database.destroy()
      const lookups = [users.findById(id), users.findById(id + 1)]
      for (const lookup of lookups)
        await expect(lookup).rejects.toMatchObject({ code: 'service_unavailable' })
      // afterEach destroys it again: harmless.
      database = { ...database, destroy: async () => {} }
    })
  })
}
