import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type DatabaseHandle } from './db.js'
import { migrateToLatest } from './migrate.js'
import { KyselyUserStore } from './users.js'

// The SQLite user store remembers rows between requests only while the database is unchanged (data_version and
// total_changes, see sqliteGeneration): every way a row can change must be seen by the very next read.
describe('SQLite user cache', () => {
  let dir: string
  let file: string
  let handle: DatabaseHandle
  let users: KyselyUserStore
  let id: number

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cookiejwt-user-cache-'))
    file = join(dir, 'db.sqlite3')
    handle = await openDatabase(`sqlite:${file}`)
    const { error } = await migrateToLatest(handle)
    if (error) throw error
    users = new KyselyUserStore(handle)
    const ada = await users.create(
      { username: 'ada', email: 'ada@example.com', password: '!' },
      new Date(),
    )
    id = ada.id as number
  })
  afterEach(async () => {
    await handle.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers an unchanged database from memory, with a frozen user shared by every read', async () => {
    const first = await users.findById(id)
    const second = await users.findById(id)
    expect(second).toBe(first)
    expect(Object.isFrozen(second)).toBe(true)
    expect(() => {
      ;(second as { isActive: boolean }).isActive = false
    }).toThrow(TypeError)
  })

  it('sees a change another connection committed on the next read', async () => {
    expect((await users.findById(id))?.isActive).toBe(true)
    const other = new SQLite(file)
    try {
      other.prepare('update auth_user set is_active = 0 where id = ?').run(id)
    } finally {
      other.close()
    }
    expect((await users.findById(id))?.isActive).toBe(false)
  })

  it('sees a change another process committed on the next read', async () => {
    expect((await users.findById(id))?.firstName).toBe('')
    // A separate Node process with its own better-sqlite3 connection, as an operator's script or shell would be.
    execFileSync(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]);
         db.prepare("update auth_user set first_name = 'Augusta', is_active = 0 where id = ?").run(Number(process.argv[2]))`,
        file,
        String(id),
      ],
      { cwd: process.cwd() },
    )
    const user = await users.findById(id)
    expect(user?.firstName).toBe('Augusta')
    expect(user?.isActive).toBe(false)
  })

  it("sees this connection's own writes, through Kysely or raw SQL", async () => {
    await users.findById(id)
    await users.update(id, { isActive: false })
    expect((await users.findById(id))?.isActive).toBe(false)
    await sql`update auth_user set is_active = 1 where id = ${id}`.execute(handle.db)
    expect((await users.findById(id))?.isActive).toBe(true)
    await sql`delete from auth_user where id = ${id}`.execute(handle.db)
    expect(await users.findById(id)).toBeNull()
  })

  it('remembers nothing read inside a transaction that is then rolled back', async () => {
    await users.findById(id)
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await sql`update auth_user set is_active = 0 where id = ${id}`.execute(trx)
        // The same connection: the uncommitted row is visible here, and must not outlive the rollback.
        expect((await users.findById(id))?.isActive).toBe(false)
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect((await users.findById(id))?.isActive).toBe(true)
  })

  it('sees a commit made after the lookup was asked for, before it resolved', async () => {
    expect((await users.findById(id))?.isActive).toBe(true)
    // Lookups of one event-loop turn share one check of the database, taken after the last of them was asked for:
    // a change committed in between (here synchronously, by another connection) is seen by all of them.
    const lookups = [users.findById(id), users.findById(id), users.findById(id)]
    const other = new SQLite(file)
    try {
      other.prepare('update auth_user set is_active = 0 where id = ?').run(id)
    } finally {
      other.close()
    }
    const found = await Promise.all(lookups)
    expect(found.map((u) => u?.isActive)).toEqual([false, false, false])
    // One read of the row for the three: the same frozen object.
    expect(found[1]).toBe(found[0])
    expect(found[2]).toBe(found[0])
  })

  it('checks again for a lookup asked for after a check was taken', async () => {
    const first = users.findById(id)
    await first
    // The check of the first turn is spent; this lookup gets one of its own, after this commit.
    const other = new SQLite(file)
    try {
      other.prepare("update auth_user set last_name = 'Lovelace' where id = ?").run(id)
    } finally {
      other.close()
    }
    expect((await users.findById(id))?.lastName).toBe('Lovelace')
  })

  it('answers a closed database with the 503 of every other storage failure', async () => {
    await users.findById(id)
    await handle.destroy()
    await expect(users.findById(id)).rejects.toMatchObject({ code: 'service_unavailable' })
    // afterEach destroys it again: a second destroy must be harmless.
    handle = { ...handle, destroy: async () => {} }
  })

  it('remembers a missing user until one is created with that id', async () => {
    expect(await users.findById(id + 1)).toBeNull()
    const bob = await users.create({ username: 'bob', password: '!' }, new Date())
    expect(bob.id).toBe(id + 1)
    expect((await users.findById(id + 1))?.username).toBe('bob')
  })
})
