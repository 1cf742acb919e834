import { DEFAULT_SETTINGS, isDefaultUserTable, type UserTableSettings } from '@cookiejwt/core'
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { DialectName } from '../db.js'
import { userIdColumnType } from '../user-table.js'

/** What a migration is told: the dialect, and the user table cookiejwt's `user_id` columns reference. */
export interface MigrationContext {
  readonly dialect: DialectName
  readonly userTable: UserTableSettings
}

/** Whether the migration creates Django's `auth_user` itself (the default user table only). */
export function createsAuthUser(context: MigrationContext): boolean {
  return isDefaultUserTable(context.userTable, DEFAULT_SETTINGS.userTable)
}

/**
 * A `user_id` column's type and reference: `integer references auth_user (id)` by default, else the user table's id
 * column type (`bigint`, `uuid`, …) and `references <table> (<id>)`. Throws when a custom user table is missing.
 */
export async function userIdColumn(
  db: Kysely<unknown>,
  context: MigrationContext,
): Promise<{ type: RawBuilder<unknown>; references: RawBuilder<unknown> }> {
  const { table, columns } = context.userTable
  const type = createsAuthUser(context)
    ? 'integer'
    : await userIdColumnType(db, context.dialect, context.userTable)
  // The type comes from the database's own catalogue (format_type / the declared SQLite type), never from input.
  return {
    type: sql.raw(type),
    references: sql`references ${sql.table(table)} (${sql.ref(columns.id)})`,
  }
}
