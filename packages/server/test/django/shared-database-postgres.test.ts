/**
 * The shared-database mode on a PostgreSQL database Django created with its own `manage.py migrate`: once with
 * Django's `auth_user`, once with a custom `AUTH_USER_MODEL` (`accounts.User(AbstractUser)`, table `accounts_user`,
 * BigAutoField ids) configured as `COOKIEJWT_USER_TABLE='{"table":"accounts_user"}'`. The PostgreSQL server is the
 * test harness's throwaway one (test/services/).
 */
import { defineSettings } from '@cookiejwt/core'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/cli/config.js'
import { checkDjangoSchema, migrateSharedDjangoDatabase, prepareSharedDjangoDatabase } from '../../src/django/shared-database.js'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { sharedPostgres } from '../services/dialects.js'
import { createDjangoProject, type DjangoProject, type DjangoServer } from './django-project.js'
import { getJson, postJson } from './helpers.js'

const KEY = 'shared-pg-signing-key-0123456789abcdef-0123456789'
const SHARED = { COOKIEJWT_DJANGO_DATABASE: 'shared' }

for (const custom of [false, true]) {
  const table = custom ? 'accounts_user' : 'auth_user'
  describe(`shared Django database on PostgreSQL, ${custom ? 'custom AUTH_USER_MODEL (accounts_user)' : 'auth_user'}`, { timeout: 120_000 }, () => {
    let django: DjangoProject
    let djangoServer: DjangoServer
    let database: DatabaseHandle
    let app: FastifyInstance
    let cookiejwt: string
    const env = {
      COOKIEJWT_SIGNING_KEY: KEY,
      ...(custom ? { COOKIEJWT_USER_TABLE: JSON.stringify({ table: 'accounts_user' }) } : {}),
    }
    // The settings `cookiejwt serve` would build from that environment.
    const settings = () => loadConfig(env).settings

    beforeAll(async () => {
      const url = await (await sharedPostgres()).createDatabase()
      django = await createDjangoProject({
        postgresUrl: url,
        customUserModel: custom,
        simpleJwt: { SIGNING_KEY: KEY, ROTATE_REFRESH_TOKENS: true, BLACKLIST_AFTER_ROTATION: true },
        // Cheap hashes: the test is about the schema, not the hashers (the SQLite suite covers every hasher).
        passwordHashers: ['django.contrib.auth.hashers.PBKDF2PasswordHasher', 'django.contrib.auth.hashers.Argon2PasswordHasher'],
      })
      if (custom) await django.manage(['makemigrations', 'accounts', '-v', '0'])
      await django.manage(['migrate', '-v', '0'])
      await django.tool({ op: 'create_user', username: 'ada', password: 'ada-pass-123', is_staff: true })
      database = await openDatabase(url)
      expect(await prepareSharedDjangoDatabase(SHARED, database, settings().userTable)).toBe(true)
      expect((await migrateSharedDjangoDatabase(database, settings().userTable)).error).toBeUndefined()
      app = await buildApp(defineSettings({ signingKey: KEY, userTable: settings().userTable }), { database })
      cookiejwt = await app.listen({ host: '127.0.0.1', port: 0 })
      djangoServer = await django.startServer()
    }, 240_000)

    afterAll(async () => {
      await app?.close()
      await django?.cleanup()
    })

    it(`Django made ${table}; cookiejwt added only its own tables, referencing ${table} with its id type`, async () => {
      const tables = (await database.db.introspection.getTables()).map((t) => t.name)
      expect(tables).toContain(table)
      if (custom) expect(tables).not.toContain('auth_user')
      const idType = custom ? 'bigint' : 'integer'
      const { rows } = await sql<{ table: string; type: string; target: string }>`
        select c.conrelid::regclass::text as table, format_type(a.atttypid, a.atttypmod) as type,
               c.confrelid::regclass::text as target
        from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
        where c.contype = 'f' and a.attname = 'user_id' and c.conrelid::regclass::text like 'cookiejwt_%'`.execute(database.db)
      expect(rows.length).toBeGreaterThanOrEqual(3)
      for (const row of rows) expect(row, row.table).toMatchObject({ type: idType, target: table })
      expect(await checkDjangoSchema(database, settings().userTable)).toEqual([])
      await django.manage(['check'])
      if (custom) {
        // Without COOKIEJWT_USER_TABLE the shared mode refuses, saying what to set.
        await expect(prepareSharedDjangoDatabase(SHARED, database)).rejects.toThrow(
          `no auth_user table: with a custom AUTH_USER_MODEL set userTable to its table, e.g. COOKIEJWT_USER_TABLE='{"table":"accounts_user"}' for accounts.User`,
        )
      }
    })

    it('logs in a user Django created, and each side accepts the other\'s tokens', async () => {
      const login = await postJson(`${cookiejwt}/api/token/`, { username: 'ada', password: 'ada-pass-123' })
      expect(login.status).toBe(200)
      const me = await getJson(`${cookiejwt}/api/auth/me/`, { Authorization: `Bearer ${login.body!.access as string}` })
      expect(me.body).toMatchObject({ username: 'ada', is_staff: true, id: expect.any(Number) })
      // Django's pbkdf2 hash was upgraded to cookiejwt's argon2 in the table Django reads, and still works there
      // (Django, whose first hasher is PBKDF2, turns it back on its next login: each side keeps verifying the other's).
      const row = await sql<{ password: string }>`select password from ${sql.table(table)} where username = 'ada'`.execute(database.db)
      expect(row.rows[0]!.password).toMatch(/^argon2\$argon2id\$/)
      expect(await django.tool<{ ok: boolean }>({ op: 'authenticate', username: 'ada', password: 'ada-pass-123' })).toMatchObject({ ok: true })
      // Django (simplejwt + the custom user model) accepts cookiejwt's access token…
      const viaDjango = await getJson(`${djangoServer.url}/api/me/`, { Authorization: `Bearer ${login.body!.access as string}` })
      expect(viaDjango).toMatchObject({ status: 200, body: { id: me.body!.id, username: 'ada' } })
      // …and cookiejwt accepts Django's.
      const fromDjango = await postJson(`${djangoServer.url}/api/token/`, { username: 'ada', password: 'ada-pass-123' })
      expect(fromDjango.status).toBe(200)
      const mine = await getJson(`${cookiejwt}/api/auth/me/`, { Authorization: `Bearer ${fromDjango.body!.access as string}` })
      expect(mine.body).toMatchObject({ id: me.body!.id, username: 'ada' })
      // A refresh token Django issued rotates here; Django then refuses the old one (one blacklist).
      const rotated = await postJson(`${cookiejwt}/api/token/refresh/`, { refresh: fromDjango.body!.refresh })
      expect(rotated.status).toBe(200)
      expect((await postJson(`${djangoServer.url}/api/token/refresh/`, { refresh: fromDjango.body!.refresh })).status).toBe(401)
    })

    it('a password changed in cookiejwt works in Django; a user deactivated in Django is refused here', async () => {
      await django.tool({ op: 'create_user', username: 'bo', password: 'bo-pass-1234' })
      const login = await postJson(`${cookiejwt}/api/auth/login/`, { username: 'bo', password: 'bo-pass-1234' })
      expect(login.status).toBe(200)
      const cookies = Object.fromEntries(login.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]))
      const change = await postJson(
        `${cookiejwt}/api/auth/password/change/`,
        { old_password: 'bo-pass-1234', new_password: 'Orchid-Basalt-Meridian-77' },
        {
          Cookie: `access_token=${cookies.access_token}; csrftoken=${cookies.csrftoken}`,
          'X-CSRFToken': cookies.csrftoken!,
          Origin: cookiejwt,
        },
      )
      expect(change.status).toBe(200)
      expect(await django.tool<{ ok: boolean }>({ op: 'authenticate', username: 'bo', password: 'Orchid-Basalt-Meridian-77' })).toMatchObject({ ok: true })
      const bearer = await postJson(`${cookiejwt}/api/token/`, { username: 'bo', password: 'Orchid-Basalt-Meridian-77' })
      await django.tool({ op: 'set_active', username: 'bo', is_active: false })
      expect((await getJson(`${cookiejwt}/api/auth/me/`, { Authorization: `Bearer ${bearer.body!.access as string}` })).status).toBe(401)
    })
  })
}
