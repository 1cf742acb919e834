/**
 * `importDjangoUsers` into each cookiejwt dialect (SQLite and PostgreSQL) from a database real
 * Django created: ids are kept, and on PostgreSQL the identity sequence moves past them so the next
 * user cookiejwt creates gets a fresh id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { importDjangoUsers } from '../../src/django/import.js'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { openTestDatabase, TEST_DIALECTS } from '../services/dialects.js'
import { createDjangoProject, type DjangoProject } from './django-project.js'

describe('importDjangoUsers into every dialect', { timeout: 60_000 }, () => {
  let django: DjangoProject
  let source: DatabaseHandle

  beforeAll(async () => {
    django = await createDjangoProject()
    await django.manage(['migrate', '-v', '0'])
    for (const username of ['ann', 'ben', 'cat']) {
      await django.tool({ op: 'create_user', username, password: `${username}-pass-1`, hasher: 'pbkdf2_sha1' })
    }
    source = await openDatabase(`sqlite:${django.databasePath}`)
  }, 120_000)

  afterAll(async () => {
    await source?.destroy()
    await django?.cleanup()
  })

  for (const dialect of TEST_DIALECTS) {
    it(`${dialect}: keeps ids and hashes, is idempotent, and new users get fresh ids`, async () => {
      const target = await openTestDatabase(dialect)
      try {
        const first = await importDjangoUsers(source, target)
        expect(first).toMatchObject({ created: 3, updated: 0, unchanged: 0, conflicts: [] })
        expect(await importDjangoUsers(source, target)).toMatchObject({ created: 0, unchanged: 3 })
        const users = new KyselyUserStore(target)
        for (const username of ['ann', 'ben', 'cat']) {
          const theirs = await django.tool<{ id: number; password: string }>({ op: 'user', username })
          expect(await users.findByUsername(username)).toMatchObject({ id: theirs.id, password: theirs.password })
        }
        const fresh = await users.create({ username: 'newcomer', password: '!x' }, new Date())
        expect(fresh.id).toBeGreaterThan(3)
      } finally {
        await target.destroy()
      }
    })
  }
})
