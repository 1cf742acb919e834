/**
 * `cookiejwt import-django --from <Django DATABASE_URL> [--dry-run]` against a database that real
 * Django created and filled.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'

import { defineSettings } from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { buildApp } from '../../src/app.js'
import type { CommandContext } from '../../src/cli/command.js'
import { importDjango } from '../../src/cli/commands/import-django.js'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { createDjangoProject, type DjangoProject } from './django-project.js'
import { getJson, postJson } from './helpers.js'

const KEY = 'import-signing-key-0123456789abcdef-0123456789abc'

async function runImport(
  targetUrl: string,
  values: Record<string, string | boolean | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' }
  const sink = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _enc, cb) {
        out[key] += String(chunk)
        cb()
      },
    })
  const context: CommandContext = {
    values,
    positionals: [],
    env: { PATH: process.env.PATH, DATABASE_URL: targetUrl, COOKIEJWT_SIGNING_KEY: KEY },
    stdin: process.stdin,
    stdout: sink('stdout'),
    stderr: sink('stderr'),
  }
  const code = await importDjango.run(context)
  return { code, ...out }
}

describe('cookiejwt import-django', { timeout: 60_000 }, () => {
  let django: DjangoProject
  let dir: string
  let targetUrl: string
  let target: DatabaseHandle
  let from: string
  const ids: Record<string, number> = {}

  beforeAll(async () => {
    django = await createDjangoProject({ simpleJwt: { SIGNING_KEY: KEY } })
    await django.manage(['migrate', '-v', '0'])
    await django.manage(['createsuperuser', '--noinput', '--username', 'admin', '--email', 'admin@example.test'], {
      DJANGO_SUPERUSER_PASSWORD: 'admin-pass-123',
    })
    ids.admin = (await django.tool<{ id: number }>({ op: 'user', username: 'admin' })).id
    for (const [username, extra] of [
      ['alice', { hasher: 'pbkdf2_sha256', first_name: 'Alice', last_name: 'Liddell', email: 'alice@example.test' }],
      ['bob', { is_active: false }],
      ['carol', { is_staff: true }],
    ] as const) {
      ids[username] = (
        await django.tool<{ id: number }>({ op: 'create_user', username, password: `${username}-pass-123`, ...extra })
      ).id
    }
    from = `sqlite:${django.databasePath}`
    dir = mkdtempSync(join(tmpdir(), 'cookiejwt-import-'))
    targetUrl = `sqlite:${join(dir, 'cookiejwt.sqlite3')}`
    target = await openDatabase(targetUrl)
    expect((await migrateToLatest(target)).error).toBeUndefined()
  }, 180_000)

  afterAll(async () => {
    await target?.destroy()
    await django?.cleanup()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('needs --from and a Django database', async () => {
    await expect(runImport(targetUrl, {})).rejects.toThrow(/--from/)
    await expect(runImport(targetUrl, { from: targetUrl })).rejects.toThrow(/not a usable Django database/)
  })

  it('--dry-run reports the counts and writes nothing', async () => {
    const r = await runImport(targetUrl, { from, 'dry-run': true })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Would import: 4 created, 0 updated, 0 unchanged, 0 refused/)
    expect(r.stdout).toMatch(/Dry run: nothing was written/)
    expect(await target.db.selectFrom('auth_user').select('id').execute()).toEqual([])
  })

  it('copies users with their ids, hashes, flags, names and dates; a second run changes nothing', async () => {
    const r = await runImport(targetUrl, { from })
    expect(r).toMatchObject({ code: 0 })
    expect(r.stdout).toMatch(/Imported: 4 created, 0 updated, 0 unchanged, 0 refused/)
    const users = new KyselyUserStore(target)
    for (const username of ['admin', 'alice', 'bob', 'carol']) {
      const ours = await users.findByUsername(username)
      const theirs = await django.tool<{ id: number; password: string; is_active: boolean }>({ op: 'user', username })
      expect(ours, username).not.toBeNull()
      expect(ours!.id).toBe(theirs.id)
      expect(ours!.password).toBe(theirs.password)
      expect(ours!.isActive).toBe(theirs.is_active)
    }
    const alice = (await users.findByUsername('alice'))!
    expect(alice).toMatchObject({ firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.test' })
    expect(alice.password).toMatch(/^pbkdf2_sha256\$/)
    expect((await users.findByUsername('admin'))!).toMatchObject({ isStaff: true, isSuperuser: true })
    expect((await users.findByUsername('carol'))!).toMatchObject({ isStaff: true, isSuperuser: false })
    expect(Math.abs(alice.dateJoined.getTime() - Date.now())).toBeLessThan(10 * 60_000)

    const again = await runImport(targetUrl, { from })
    expect(again.stdout).toMatch(/Imported: 0 created, 0 updated, 4 unchanged, 0 refused/)
  })

  it('updates a user changed in Django since the last run', async () => {
    await django.tool({ op: 'set_active', username: 'alice', is_active: false })
    const r = await runImport(targetUrl, { from })
    expect(r.stdout).toMatch(/Imported: 0 created, 1 updated, 3 unchanged, 0 refused/)
    expect((await new KyselyUserStore(target).findByUsername('alice'))!.isActive).toBe(false)
    await django.tool({ op: 'set_active', username: 'alice', is_active: true })
    expect((await runImport(targetUrl, { from })).stdout).toMatch(/1 updated/)
  })

  it('refuses to overwrite a different user with the same username, and exits 1', async () => {
    const users = new KyselyUserStore(target)
    const local = await users.create({ username: 'dave', password: '!unusable-local-dave' }, new Date())
    await django.tool({ op: 'create_user', username: 'dave', password: 'django-dave-pass' })
    const r = await runImport(targetUrl, { from })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/1 refused/)
    expect(r.stderr).toMatch(/refused "dave": a different user has this username/)
    expect(r.stderr).not.toMatch(/pbkdf2|argon2|django-dave-pass/) // no hashes or passwords in output
    const after = (await users.findByUsername('dave'))!
    expect(after.id).toBe(local.id)
    expect(after.password).toBe('!unusable-local-dave')

    // Same id, different person: a token naming that id must not reach the local user.
    const erin = await users.create({ username: 'erin', password: '!unusable-local-erin' }, new Date())
    const frank = await django.tool<{ id: number }>({ op: 'create_user', username: 'frank', password: 'frank-pass-1' })
    expect(frank.id).toBe(erin.id)
    const r2 = await runImport(targetUrl, { from })
    expect(r2.code).toBe(1)
    expect(r2.stdout).toMatch(/2 refused/)
    expect(r2.stderr).toMatch(new RegExp(`refused "frank": id ${erin.id} belongs to another user here`))
    expect(await users.findByUsername('frank')).toBeNull()
    expect((await users.findById(erin.id))!.username).toBe('erin')
  })

  it('keeps Django-issued tokens working, and Django-blacklisted ones refused, after the switch', async () => {
    const live = await django.tool<{ access: string; refresh: string }>({ op: 'mint', username: 'carol' })
    const revoked = await django.tool<{ refresh: string }>({ op: 'mint', username: 'carol' })
    expect(await django.tool({ op: 'blacklist', token: revoked.refresh })).toEqual({ ok: true })
    const r = await runImport(targetUrl, { from })
    expect(r.stdout).toMatch(/1 blacklisted token/)

    const app = await buildApp(defineSettings({ signingKey: KEY }), { database: await openDatabase(targetUrl) })
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const me = await getJson(`${url}/api/auth/me/`, { Authorization: `Bearer ${live.access}` })
      expect(me).toMatchObject({ status: 200, body: { id: ids.carol, username: 'carol' } })
      expect((await postJson(`${url}/api/token/refresh/`, { refresh: revoked.refresh })).status).toBe(401)
      expect((await postJson(`${url}/api/token/refresh/`, { refresh: live.refresh })).status).toBe(200)
      // The password Django hashed logs in here.
      const login = await postJson(`${url}/api/auth/login/`, { username: 'alice', password: 'alice-pass-123' })
      expect(login).toMatchObject({ status: 200, body: { user: { id: ids.alice, username: 'alice' } } })
    } finally {
      await app.close()
    }
  })
})
