/**
 * The shared-database mode: a Django service and a cookiejwt service running at once on one SQLite
 * database, Django's own `auth_user` and simplejwt's `token_blacklist_*` tables.
 */
import { Writable } from 'node:stream'

import { defineSettings, ImproperlyConfigured } from '@cookiejwt/core'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { buildApp } from '../../src/app.js'
import { migrate } from '../../src/cli/commands/migrate.js'
import { serve } from '../../src/cli/commands/serve.js'
import type { CommandContext } from '../../src/cli/command.js'
import {
  checkDjangoSchema,
  migrateSharedDjangoDatabase,
  prepareSharedDjangoDatabase,
} from '../../src/django/shared-database.js'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { createDjangoProject, type DjangoProject, type DjangoServer } from './django-project.js'
import { getJson, postJson } from './helpers.js'

const KEY = 'shared-db-signing-key-0123456789abcdef-0123456789'
const HASHERS = ['argon2', 'pbkdf2_sha256', 'pbkdf2_sha1', 'bcrypt_sha256', 'bcrypt'] as const

/** The CREATE statements of Django's tables and indexes, exactly as SQLite stores them. */
async function ddlOfDjangoTables(database: DatabaseHandle): Promise<string> {
  const { rows } = await sql<{ sql: string | null }>`select sql from sqlite_master
    where tbl_name in ('auth_user', 'token_blacklist_outstandingtoken', 'token_blacklist_blacklistedtoken')
    order by name`.execute(database.db)
  return rows.map((r) => r.sql).join('\n')
}

function cliContext(env: Record<string, string>): CommandContext & { out: () => string } {
  let out = ''
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk)
      cb()
    },
  })
  return {
    values: {},
    positionals: [],
    env: { PATH: process.env.PATH, ...env },
    stdin: process.stdin,
    stdout: sink,
    stderr: sink,
    out: () => out,
  }
}

describe('shared Django database, both servers running', { timeout: 60_000 }, () => {
  let django: DjangoProject
  let djangoServer: DjangoServer
  let database: DatabaseHandle
  let app: FastifyInstance
  let cookiejwt: string
  let djangoDdl: string

  beforeAll(async () => {
    django = await createDjangoProject({
      simpleJwt: { SIGNING_KEY: KEY, ROTATE_REFRESH_TOKENS: true, BLACKLIST_AFTER_ROTATION: true },
    })
    await django.manage(['migrate', '-v', '0'])
    // Django's own createsuperuser (default hasher: argon2 with Django's parameters).
    await django.manage(['createsuperuser', '--noinput', '--username', 'admin', '--email', 'admin@example.test'], {
      DJANGO_SUPERUSER_PASSWORD: 'admin-pass-123',
    })
    await Promise.all(
      HASHERS.map((hasher) =>
        django.tool({ op: 'create_user', username: `user_${hasher}`, password: `pw-${hasher}-é`, hasher }),
      ),
    )
    database = await openDatabase(`sqlite:${django.databasePath}`)
    expect(await prepareSharedDjangoDatabase({ COOKIEJWT_DJANGO_DATABASE: 'shared' }, database)).toBe(true)
    djangoDdl = await ddlOfDjangoTables(database)
    expect((await migrateSharedDjangoDatabase(database)).error).toBeUndefined()
    app = await buildApp(defineSettings({ signingKey: KEY }), { database })
    cookiejwt = await app.listen({ host: '127.0.0.1', port: 0 })
    djangoServer = await django.startServer()
  }, 180_000)

  afterAll(async () => {
    await app?.close()
    await django?.cleanup()
  })

  it('accepts the Django schema and refuses a database that is not one', async () => {
    expect(await checkDjangoSchema(database)).toEqual([])
    const plain = await openDatabase('sqlite::memory:')
    try {
      await migrateToLatest(plain)
      expect((await checkDjangoSchema(plain)).join()).toMatch(/no django_migrations table/)
      await expect(prepareSharedDjangoDatabase({ COOKIEJWT_DJANGO_DATABASE: 'shared' }, plain)).rejects.toThrow(
        ImproperlyConfigured,
      )
      await expect(prepareSharedDjangoDatabase({ COOKIEJWT_DJANGO_DATABASE: 'yes' }, plain)).rejects.toThrow(
        /must be "shared"/,
      )
    } finally {
      await plain.destroy()
    }
  })

  it("`cookiejwt migrate` adds only cookiejwt's own tables and leaves Django's exactly as they were", async () => {
    const ctx = cliContext({
      DATABASE_URL: `sqlite:${django.databasePath}`,
      COOKIEJWT_DJANGO_DATABASE: 'shared',
      COOKIEJWT_SIGNING_KEY: KEY,
    })
    expect(await migrate.run(ctx)).toBe(0)
    // Django's CREATE TABLE statements are untouched (cookiejwt's 0001 may add one extra index on
    // token_blacklist_outstandingtoken.user_id beside Django's own: harmless, Django ignores it).
    const tablesOnly = (ddl: string) => ddl.split('\n').filter((l) => l.startsWith('CREATE TABLE')).join('\n')
    expect(tablesOnly(await ddlOfDjangoTables(database))).toBe(tablesOnly(djangoDdl))
    expect(djangoDdl).toMatch(/CREATE TABLE "auth_user"/) // Django's own DDL, quoted as Django writes it
    const tables = (await database.db.introspection.getTables()).map((t) => t.name)
    const added = tables.filter((t) => !t.startsWith('django_') && !t.startsWith('auth_') && !t.startsWith('token_blacklist_'))
    expect(added.length).toBeGreaterThan(0)
    for (const t of added) expect(t).toMatch(/^cookiejwt_/)
    // Django still runs its own checks and sees no pending model changes.
    await django.manage(['check'])
    expect(await django.manage(['makemigrations', '--check', '--dry-run'])).toMatch(/No changes detected/)
    const { mkdtempSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const emptyDb = join(mkdtempSync(join(tmpdir(), 'cookiejwt-notdjango-')), 'db.sqlite3')
    const bad = cliContext({ DATABASE_URL: `sqlite:${emptyDb}`, COOKIEJWT_DJANGO_DATABASE: 'shared', COOKIEJWT_SIGNING_KEY: KEY })
    await expect(serve.run({ ...bad, values: { port: '0' } })).rejects.toThrow(/not a usable Django schema/)
  })

  it("logs in users whose hashes Django wrote with every hasher, and upgrades them to cookiejwt's argon2 Django still accepts", async () => {
    const accounts = [
      ...HASHERS.map((h) => ({ username: `user_${h}`, password: `pw-${h}-é`, hasher: h })),
      { username: 'admin', password: 'admin-pass-123', hasher: 'argon2' },
    ]
    // In parallel: Django's argon2 costs 100 MiB and seconds per check on a busy 2-core machine.
    await Promise.all(
      accounts.map(async ({ username, password, hasher }) => {
        const before = await django.tool<{ password: string }>({ op: 'user', username })
        expect(before.password.startsWith(`${hasher}$`)).toBe(true)
        const wrong = await postJson(`${cookiejwt}/api/auth/login/`, { username, password: password + '!' })
        expect(wrong.status, username).toBe(401)
        const login = await postJson(`${cookiejwt}/api/auth/login/`, { username, password })
        expect(login.status, `${username} (${hasher})`).toBe(200)
        expect(login.body).toMatchObject({ user: { username } })
        const after = await django.tool<{ password: string }>({ op: 'user', username })
        expect(after.password).toMatch(/^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
        // Django still accepts the upgraded hash, over HTTP with simplejwt's login view.
        const viaDjango = await postJson(`${djangoServer.url}/api/token/`, { username, password })
        expect(viaDjango.status, username).toBe(200)
      }),
    )
  }, 240_000)

  it('honours a refresh token Django blacklisted, and Django honours one cookiejwt blacklisted', async () => {
    const creds = { username: 'admin', password: 'admin-pass-123' }
    // Django → cookiejwt.
    const fromDjango = await postJson(`${djangoServer.url}/api/token/`, creds)
    const djangoRefresh = fromDjango.body!.refresh as string
    expect((await postJson(`${djangoServer.url}/api/token/blacklist/`, { refresh: djangoRefresh })).status).toBe(200)
    const refused = await postJson(`${cookiejwt}/api/token/refresh/`, { refresh: djangoRefresh })
    expect(refused.status).toBe(401)
    expect(refused.body).toMatchObject({ code: 'token_not_valid' })

    // cookiejwt → Django: the browser flow (login sets the HttpOnly refresh cookie, logout blacklists it).
    const login = await postJson(`${cookiejwt}/api/auth/login/`, creds)
    expect(login.status).toBe(200)
    const cookies = Object.fromEntries(
      login.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]),
    )
    const ourRefresh = cookies.refresh_token!
    expect(ourRefresh).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    const logout = await postJson(`${cookiejwt}/api/auth/logout/`, {}, {
      Cookie: `refresh_token=${ourRefresh}; csrftoken=${cookies.csrftoken}`,
      'X-CSRFToken': cookies.csrftoken!,
      Origin: cookiejwt,
    })
    expect(logout.status).toBe(200)
    // The row cookiejwt wrote holds a digest, never the token; simplejwt finds it by jti.
    const { jti } = JSON.parse(Buffer.from(ourRefresh.split('.')[1]!, 'base64url').toString()) as { jti: string }
    const row = await database.db
      .selectFrom('token_blacklist_outstandingtoken')
      .select('token')
      .where('jti', '=', jti)
      .executeTakeFirstOrThrow()
    expect(row.token).toMatch(/^sha256\$[0-9a-f]{64}$/)
    // …and the Bearer flow's blacklist endpoint.
    const bearerPair = await postJson(`${cookiejwt}/api/token/`, creds)
    const bearerRefresh = bearerPair.body!.refresh as string
    expect(await postJson(`${cookiejwt}/api/token/blacklist/`, { refresh: bearerRefresh })).toMatchObject({ status: 200 })
    expect(await postJson(`${djangoServer.url}/api/token/refresh/`, { refresh: bearerRefresh })).toMatchObject({
      status: 401,
      body: { detail: 'Token is blacklisted', code: 'token_not_valid' },
    })
    const refusedThere = await postJson(`${djangoServer.url}/api/token/refresh/`, { refresh: ourRefresh })
    expect(refusedThere).toMatchObject({ status: 401, body: { detail: 'Token is blacklisted', code: 'token_not_valid' } })
  })

  it('rotation on one side blacklists the old refresh token for the other', async () => {
    const creds = { username: 'admin', password: 'admin-pass-123' }
    const fromDjango = await postJson(`${djangoServer.url}/api/token/`, creds)
    const old = fromDjango.body!.refresh as string
    const rotated = await postJson(`${cookiejwt}/api/token/refresh/`, { refresh: old })
    expect(rotated.status).toBe(200)
    expect(typeof rotated.body!.refresh).toBe('string')
    expect((await postJson(`${djangoServer.url}/api/token/refresh/`, { refresh: old })).status).toBe(401)
    // The new one works on Django, which rotates it in turn; cookiejwt then refuses the one Django retired.
    const again = await postJson(`${djangoServer.url}/api/token/refresh/`, { refresh: rotated.body!.refresh })
    expect(again.status).toBe(200)
    expect((await postJson(`${cookiejwt}/api/token/refresh/`, { refresh: rotated.body!.refresh })).status).toBe(401)
    expect((await postJson(`${cookiejwt}/api/token/refresh/`, { refresh: again.body!.refresh })).status).toBe(200)
  })

  it('a user deactivated in Django loses access to cookiejwt at once', async () => {
    await django.tool({ op: 'create_user', username: 'leaver', password: 'leaver-pass-1' })
    const login = await postJson(`${cookiejwt}/api/token/`, { username: 'leaver', password: 'leaver-pass-1' })
    const bearer = { Authorization: `Bearer ${login.body!.access as string}` }
    expect((await getJson(`${cookiejwt}/api/auth/me/`, bearer)).status).toBe(200)
    await django.tool({ op: 'set_active', username: 'leaver', is_active: false })
    expect((await getJson(`${cookiejwt}/api/auth/me/`, bearer)).status).toBe(401)
    expect((await postJson(`${cookiejwt}/api/token/refresh/`, { refresh: login.body!.refresh })).status).toBe(401)
  })
})
