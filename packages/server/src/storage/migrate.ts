import { DEFAULT_SETTINGS, type UserTableSettings } from '@cookiejwt/core'
import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely'
import type { DatabaseHandle } from './db.js'
import type { MigrationContext } from './migrations/context.js'
import * as initial from './migrations/0001-initial.js'
import * as sessions from './migrations/0002-sessions.js'
import * as adminAudit from './migrations/0003-admin-audit.js'
import * as accounts from './migrations/0004-accounts.js'
import * as mfa from './migrations/0005-mfa.js'

type DialectMigration = { up(db: Kysely<unknown>, context: MigrationContext): Promise<void> }

/** Migrations in order; names never change once released. */
const MIGRATIONS: Record<string, DialectMigration> = {
  '0001-initial': initial,
  '0002-sessions': sessions,
  '0003-admin-audit': adminAudit,
  '0004-accounts': accounts,
  '0005-mfa': mfa,
}

/** The table recording applied migrations. */
export const MIGRATION_TABLE = 'cookiejwt_migration'

/**
 * Applies every pending migration; idempotent. Returns Kysely's result set (`error` set on failure, nothing
 * half-applied). With a custom `userTable` (settings.userTable) Django's `auth_user` is not created: cookiejwt's own
 * tables reference that table, with `user_id` columns of its id column's type, and the table must already exist.
 */
export async function migrateToLatest(
  handle: DatabaseHandle,
  userTable: UserTableSettings = DEFAULT_SETTINGS.userTable,
): Promise<MigrationResultSet> {
  const migrations: Record<string, Migration> = {}
  for (const [name, m] of Object.entries(MIGRATIONS)) {
    migrations[name] = { up: (db) => m.up(db, { dialect: handle.dialect, userTable }) }
  }
  const migrator = new Migrator({
    db: handle.db,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
    // 0005 was released before 0004; each migration only creates its own tables, so the order they ran in is free.
    allowUnorderedMigrations: true,
    provider: { getMigrations: async () => migrations },
  })
  return migrator.migrateToLatest()
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(handle: DatabaseHandle): Promise<string[]> {
  const migrator = new Migrator({
    db: handle.db,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
    allowUnorderedMigrations: true,
    provider: {
      getMigrations: async () =>
        Object.fromEntries(Object.keys(MIGRATIONS).map((n) => [n, { up: async () => {} }])),
    },
  })
  return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name)
}
