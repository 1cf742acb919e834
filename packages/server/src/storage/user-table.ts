import {
  DEFAULT_SETTINGS,
  ImproperlyConfigured,
  isDefaultUserTable,
  type UserTableSettings,
} from '@cookiejwt/core'
import { sql, type Kysely } from 'kysely'
import type { DatabaseHandle, DialectName } from './db.js'
import { quoteTable } from './users.js'

/** A column as the database declares it. */
interface ColumnInfo {
  readonly name: string
  /** PostgreSQL `format_type` (`integer`, `bigint`, `uuid`, `character varying(36)`), SQLite's declared type. */
  readonly type: string
}

/** cookiejwt's tables whose `user_id` references the user table. */
const REFERENCING_TABLES = [
  'token_blacklist_outstandingtoken',
  'cookiejwt_session',
  'cookiejwt_session_version',
  'cookiejwt_mfa_totp',
  'cookiejwt_mfa_backup_code',
  'cookiejwt_email_address',
  'cookiejwt_account_token',
] as const

/** The columns of `table`, or null when it does not exist. */
export async function tableColumns(
  db: Kysely<unknown>,
  dialect: DialectName,
  table: string,
): Promise<ColumnInfo[] | null> {
  if (dialect === 'postgres') {
    // to_regclass is null for a missing table; a name without a schema resolves through search_path, as queries do.
    const { rows } = await sql<{ name: string; type: string }>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a
      where a.attrelid = to_regclass(${quoteTable(table)}) and a.attnum > 0 and not a.attisdropped
      order by a.attnum`.execute(db)
    if (rows.length > 0) return rows
    const exists = await sql<{
      oid: unknown
    }>`select to_regclass(${quoteTable(table)}) as oid`.execute(db)
    return exists.rows[0]?.oid == null ? null : []
  }
  const [schema, name] = table.includes('.') ? table.split('.') : ['main', table]
  const { rows } = await sql<{ name: string; type: string }>`
    select name, type from pragma_table_info(${name}, ${schema})`.execute(db)
  return rows.length > 0 ? rows : null
}

/** What a foreign key of `table.user_id` points at, or null when it has none (or the table does not exist). */
async function userIdReference(
  db: Kysely<unknown>,
  dialect: DialectName,
  table: string,
): Promise<string | null> {
  if (dialect === 'postgres') {
    const { rows } = await sql<{ target: string }>`
      select c.confrelid::regclass::text as target
      from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
      where c.contype = 'f' and c.conrelid = to_regclass(${table}) and a.attname = 'user_id'`.execute(
      db,
    )
    return rows[0]?.target.replaceAll('"', '') ?? null
  }
  const { rows } = await sql<{ table: string; from: string }>`
    select "table", "from" from pragma_foreign_key_list(${table})`.execute(db)
  return rows.find((r) => r.from === 'user_id')?.table ?? null
}

type TypeClass = 'integer' | 'uuid' | 'boolean' | 'text' | 'other'

function typeClass(dialect: DialectName, type: string): TypeClass {
  const t = type.toLowerCase()
  if (t === 'uuid') return 'uuid'
  if (/^(integer|int|int2|int4|int8|bigint|smallint|tinyint|mediumint)\b/.test(t)) return 'integer'
  if (t === 'boolean' || t === 'bool') return 'boolean'
  if (/^(text|character varying|varchar|character|char|nvarchar|clob)\b/.test(t)) return 'text'
  // SQLite's type affinity (§3.1 of "Datatypes In SQLite"): an INT anywhere in the declared type is an integer.
  if (dialect === 'sqlite' && t.includes('int')) return 'integer'
  return 'other'
}

/**
 * The SQL type cookiejwt's `user_id` columns get, so that they match the user table's id column (Django's
 * AutoField `integer`, BigAutoField `bigint`, a `uuid`). Throws when the user table or its id column is missing:
 * cookiejwt never creates an application's own user table.
 */
export async function userIdColumnType(
  db: Kysely<unknown>,
  dialect: DialectName,
  userTable: UserTableSettings,
): Promise<string> {
  if (isDefaultUserTable(userTable, DEFAULT_SETTINGS.userTable)) {
    const columns = await tableColumns(db, dialect, userTable.table)
    return columns?.find((c) => c.name === userTable.columns.id)?.type || 'integer'
  }
  const columns = await tableColumns(db, dialect, userTable.table)
  if (columns === null) {
    throw new ImproperlyConfigured(
      `user table "${userTable.table}" (userTable.table) does not exist: cookiejwt does not create an application's own ` +
        "user table; create it first, or leave userTable unset for Django's auth_user",
    )
  }
  const id = columns.find((c) => c.name === userTable.columns.id)
  if (!id) throw missingColumn(userTable, 'id')
  // Varchar(36) for UUIDs in SQLite text; an untyped SQLite column takes the id type's name.
  return id.type || (userTable.idType === 'uuid' ? 'varchar(36)' : 'integer')
}

function missingColumn(
  userTable: UserTableSettings,
  field: keyof UserTableSettings['columns'],
): ImproperlyConfigured {
  return new ImproperlyConfigured(
    `user table "${userTable.table}" has no column "${userTable.columns[field]}" (userTable.columns.${field})`,
  )
}

/**
 * Checks the user table against the real schema: the table, every mapped column, the id type, how flags are
 * stored, and that cookiejwt's own tables reference this table with a matching `user_id` type. Returns one sentence
 * per problem (each naming the table, column and setting); empty when usable. A default `auth_user` that does not
 * exist yet is not a problem (the database is simply not migrated; `migrate` creates it).
 */
export async function checkUserTable(
  handle: DatabaseHandle,
  userTable: UserTableSettings,
): Promise<string[]> {
  const db = handle.db as unknown as Kysely<unknown>
  const { dialect } = handle
  const isDefault = isDefaultUserTable(userTable, DEFAULT_SETTINGS.userTable)
  const columns = await tableColumns(db, dialect, userTable.table)
  const t = userTable.table
  if (columns === null) {
    return isDefault ? [] : [`user table "${t}" (userTable.table) does not exist`]
  }
  const problems: string[] = []
  const byName = new Map(columns.map((c) => [c.name, c]))
  for (const [field, column] of Object.entries(userTable.columns)) {
    if (column !== null && !byName.has(column))
      problems.push(missingColumn(userTable, field as never).message)
  }
  const id = byName.get(userTable.columns.id)
  if (id) {
    const cls = typeClass(dialect, id.type)
    if (userTable.idType === 'integer' && cls !== 'integer') {
      problems.push(
        `${t}.${id.name} is ${id.type || 'untyped'}, not an integer: set userTable.idType to 'uuid' if it holds UUIDs`,
      )
    }
    if (userTable.idType === 'uuid') {
      if (dialect === 'sqlite' && /^char\(32\)$/i.test(id.type)) {
        problems.push(
          `${t}.${id.name} is char(32), Django's SQLite layout of a UUID (32 hex digits, no hyphens), which cookiejwt ` +
            'does not read: UUID ids on SQLite must be stored as hyphenated text (use PostgreSQL for Django UUID users)',
        )
      } else if (cls !== 'uuid' && cls !== 'text') {
        problems.push(
          `${t}.${id.name} is ${id.type || 'untyped'}, not a uuid or text column (userTable.idType is 'uuid')`,
        )
      }
    }
  }
  if (dialect === 'postgres') {
    // SQLite stores booleans as 0/1 whatever the declared type; PostgreSQL refuses true for an integer column.
    for (const field of ['isActive', 'isStaff', 'isSuperuser'] as const) {
      const column = userTable.columns[field]
      const info = column === null ? undefined : byName.get(column)
      if (!info || (field === 'isActive' && userTable.activeStatus)) continue
      const cls = typeClass(dialect, info.type)
      if (userTable.booleans === 'native' && cls !== 'boolean') {
        problems.push(
          `${t}.${info.name} is ${info.type}, not boolean: set userTable.booleans to 'integer' for 0/1 flags`,
        )
      } else if (userTable.booleans === 'integer' && cls !== 'integer') {
        problems.push(
          `${t}.${info.name} is ${info.type}, not an integer: userTable.booleans 'integer' means 0/1 flags`,
        )
      }
    }
  }
  if (id) problems.push(...(await checkReferences(db, dialect, userTable, id)))
  return problems
}

async function checkReferences(
  db: Kysely<unknown>,
  dialect: DialectName,
  userTable: UserTableSettings,
  id: ColumnInfo,
): Promise<string[]> {
  const problems: string[] = []
  const idClass = typeClass(dialect, id.type)
  const target = userTable.table.replace(/^(public|main)\./, '')
  for (const table of REFERENCING_TABLES) {
    const columns = await tableColumns(db, dialect, table)
    const userId = columns?.find((c) => c.name === 'user_id')
    if (!userId) continue
    const reference = await userIdReference(db, dialect, table)
    if (reference !== null && reference.replace(/^(public|main)\./, '') !== target) {
      problems.push(
        `${table}.user_id references ${reference}, not ${userTable.table}: this database was migrated for another ` +
          'user table (point userTable at that table, or migrate a new database)',
      )
      continue
    }
    const cls = typeClass(dialect, userId.type)
    const compatible =
      cls === idClass ||
      (idClass === 'uuid' && cls === 'text') ||
      (idClass === 'text' && cls === 'uuid')
    if (!compatible) {
      problems.push(
        `${table}.user_id is ${userId.type} but ${userTable.table}.${id.name} is ${id.type}: ` +
          `cookiejwt's tables were created for ${cls === 'integer' ? 'integer' : 'other'} user ids`,
      )
    }
  }
  return problems
}

/** Throws `ImproperlyConfigured` listing every problem `checkUserTable` finds (start-up: `buildApp`, `serve`). */
export async function assertUserTable(
  handle: DatabaseHandle,
  userTable: UserTableSettings,
): Promise<void> {
  const problems = await checkUserTable(handle, userTable)
  if (problems.length > 0) {
    throw new ImproperlyConfigured(
      `the user table does not match settings.userTable: ${problems.join('; ')}`,
    )
  }
}
