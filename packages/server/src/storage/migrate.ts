import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely'
import type { DatabaseHandle, DialectName } from './db.js'
import * as initial from './migrations/0001-initial.js'
import * as sessions from './migrations/0002-sessions.js'
import * as adminAudit from './migrations/0003-admin-audit.js'
import * as accounts from './migrations/0004-accounts.js'
import * as mfa from './migrations/0005-mfa.js'

type DialectMigration = { up(db: Kysely<unknown>, dialect: DialectName): Promise<void> }

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

/** Applies every pending migration; idempotent. Returns Kysely's result set (`error` set on failure, nothing half-applied). */
export async function migrateToLatest(handle: DatabaseHandle): Promise<MigrationResultSet> {
  const migrations: Record<string, Migration> = {}
  for (const [name, m] of Object.entries(MIGRATIONS)) {
    migrations[name] = { up: (db) => m.up(db, handle.dialect) }
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
    provider: { getMigrations: async () => Object.fromEntries(Object.keys(MIGRATIONS).map((n) => [n, { up: async () => {} }])) },
  })
  return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name)
}
