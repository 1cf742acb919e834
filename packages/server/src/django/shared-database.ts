import { DEFAULT_SETTINGS, ImproperlyConfigured, type UserTableSettings } from '@cookiejwt/core'
import { sql, type MigrationResultSet } from 'kysely'

import type { DatabaseHandle } from '../storage/db.js'
import { migrateToLatest } from '../storage/migrate.js'
import { checkUserTable } from '../storage/user-table.js'

/**
 * The environment variable that turns on the shared-database mode: `COOKIEJWT_DJANGO_DATABASE=shared`
 * with `DATABASE_URL` pointing at the Django project's database. cookiejwt then reads and writes
 * Django's own `auth_user` and simplejwt's `token_blacklist_*` tables in place and never alters
 * them (Django's schema stays `manage.py migrate`'s); `migrate` only adds cookiejwt's own
 * `cookiejwt_*` tables, and every command refuses to run unless Django's schema is there. A custom
 * `AUTH_USER_MODEL` is the `userTable` setting (e.g. `{ "table": "accounts_user" }` for an
 * `accounts.User(AbstractUser)`), whose table is then checked instead of `auth_user`.
 */
export const DJANGO_DATABASE_ENV = 'COOKIEJWT_DJANGO_DATABASE'

/** The columns cookiejwt reads and writes, per table (Django 3.2–5.x, simplejwt 5.x). */
export const DJANGO_TABLES: Readonly<Record<string, readonly string[]>> = {
  auth_user: [
    'id',
    'password',
    'last_login',
    'is_superuser',
    'username',
    'first_name',
    'last_name',
    'email',
    'is_staff',
    'is_active',
    'date_joined',
  ],
  token_blacklist_outstandingtoken: ['id', 'token', 'created_at', 'expires_at', 'user_id', 'jti'],
  token_blacklist_blacklistedtoken: ['id', 'blacklisted_at', 'token_id'],
}

/** Whether the environment asks for the shared-database mode; throws on an unknown value. */
export function isSharedDjangoDatabase(env: NodeJS.ProcessEnv): boolean {
  const value = env[DJANGO_DATABASE_ENV]
  if (value === undefined || value === '') return false
  if (value === 'shared') return true
  throw new ImproperlyConfigured(
    `${DJANGO_DATABASE_ENV} must be "shared" or unset (got ${JSON.stringify(value)})`,
  )
}

/**
 * Lists what is missing for cookiejwt to run on this Django database: tables, columns, and the
 * migrations of `django.contrib.auth` and `rest_framework_simplejwt.token_blacklist`. The user
 * table is `userTable` (Django's `auth_user` by default, a custom `AUTH_USER_MODEL`'s table
 * otherwise), checked as at start-up. Empty when the schema is usable.
 */
export async function checkDjangoSchema(
  handle: DatabaseHandle,
  userTable: UserTableSettings = DEFAULT_SETTINGS.userTable,
): Promise<string[]> {
  const problems: string[] = []
  const tables = await handle.db.introspection.getTables()
  const byName = new Map(tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]))
  if (!byName.has('django_migrations')) {
    return [
      'no django_migrations table: this is not a migrated Django database (run manage.py migrate)',
    ]
  }
  for (const [table, columns] of Object.entries(DJANGO_TABLES)) {
    if (table === 'auth_user') continue
    const have = byName.get(table)
    if (!have) {
      problems.push(
        `no ${table} table: add 'rest_framework_simplejwt.token_blacklist' to INSTALLED_APPS and run manage.py migrate`,
      )
      continue
    }
    const missing = columns.filter((c) => !have.has(c))
    if (missing.length > 0) problems.push(`${table} lacks column(s) ${missing.join(', ')}`)
  }
  if (userTable.table === 'auth_user' && !byName.has('auth_user')) {
    problems.push(
      'no auth_user table: with a custom AUTH_USER_MODEL set userTable to its table, e.g. ' +
        `COOKIEJWT_USER_TABLE='{"table":"accounts_user"}' for accounts.User`,
    )
  } else {
    problems.push(...(await checkUserTable(handle, userTable)))
  }
  const applied = await sql<{ app: string }>`select distinct app from django_migrations`.execute(
    handle.db,
  )
  const apps = new Set(applied.rows.map((r) => r.app))
  for (const app of ['auth', 'token_blacklist']) {
    if (!apps.has(app))
      problems.push(`Django app "${app}" has no applied migrations (run manage.py migrate)`)
  }
  return problems
}

/**
 * For the CLI: when the shared mode is on, checks Django's schema and throws `ImproperlyConfigured`
 * listing every problem. Returns whether the mode is on (callers then skip cookiejwt's migrations).
 */
export async function prepareSharedDjangoDatabase(
  env: NodeJS.ProcessEnv,
  handle: DatabaseHandle,
  userTable: UserTableSettings = DEFAULT_SETTINGS.userTable,
): Promise<boolean> {
  if (!isSharedDjangoDatabase(env)) return false
  const problems = await checkDjangoSchema(handle, userTable)
  if (problems.length > 0) {
    throw new ImproperlyConfigured(
      `${DJANGO_DATABASE_ENV}=shared but the database is not a usable Django schema: ${problems.join('; ')}`,
    )
  }
  return true
}

/** Column names of Django's tables (and the user table), to prove a migration left them alone. */
async function djangoColumns(
  handle: DatabaseHandle,
  userTable: UserTableSettings,
): Promise<string> {
  const tables = await handle.db.introspection.getTables()
  return JSON.stringify(
    tables
      .filter((t) => t.name in DJANGO_TABLES || t.name === userTable.table)
      .map((t) => [t.name, t.columns.map((c) => `${c.name}:${c.dataType}:${c.isNullable}`).sort()])
      .sort(),
  )
}

/**
 * `migrate` for the shared mode: applies cookiejwt's migrations, which on a Django database only
 * create cookiejwt's own `cookiejwt_*` tables (Django's are created `if not exists`, so untouched),
 * and fails if Django's tables' columns differ afterwards.
 */
export async function migrateSharedDjangoDatabase(
  handle: DatabaseHandle,
  userTable: UserTableSettings = DEFAULT_SETTINGS.userTable,
): Promise<MigrationResultSet> {
  const before = await djangoColumns(handle, userTable)
  const result = await migrateToLatest(handle, userTable)
  if (result.error === undefined && (await djangoColumns(handle, userTable)) !== before) {
    return {
      ...result,
      error: new Error("a cookiejwt migration changed Django's tables; report this as a bug"),
    }
  }
  return result
}
