import { ImproperlyConfigured } from './errors.js'

/** How the user table's primary key is typed: Django's AutoField/BigAutoField, or a UUID. */
export type UserIdType = 'integer' | 'uuid'

/** A user's primary key: a positive integer, or a UUID in its lower-case hyphenated text form. */
export type UserId = number | string

/** Which column holds each user field; `null` for a field the table does not have. */
export interface UserTableColumns {
  /** Primary key. @default 'id' */
  readonly id: string
  /** Login name, unique. @default 'username' */
  readonly username: string
  /** Password hash, in Django's format or a bcrypt/argon2 PHC string (see `passwordFormat`). @default 'password' */
  readonly password: string
  /** `null`: every user has the email ''. @default 'email' */
  readonly email: string | null
  /** @default 'first_name' */
  readonly firstName: string | null
  /** @default 'last_name' */
  readonly lastName: string | null
  /** `null`: every user is active. @default 'is_active' */
  readonly isActive: string | null
  /** `null`: nobody is staff. @default 'is_staff' */
  readonly isStaff: string | null
  /** `null`: nobody is a superuser. @default 'is_superuser' */
  readonly isSuperuser: string | null
  /** `null`: `date_joined` reads as 1970-01-01T00:00:00Z. @default 'date_joined' */
  readonly dateJoined: string | null
  /** `null`: `last_login` reads as null and is never written. @default 'last_login' */
  readonly lastLogin: string | null
}

/** The values of a status column standing for "active" and "inactive" (`activeStatus`). */
export interface ActiveStatus {
  readonly active: string | number
  readonly inactive: string | number
}

/**
 * The table users live in. The default is Django's `auth_user`; anything else is an existing table cookiejwt reads
 * and writes in place but never creates or alters (checked against the real schema at start-up).
 */
export interface UserTableSettings {
  /** Table name, optionally schema-qualified on PostgreSQL (`auth.users`). @default 'auth_user' */
  readonly table: string
  /** Primary-key type; a UUID id is carried in tokens as a string. @default 'integer' */
  readonly idType: UserIdType
  /**
   * How the flag columns (`isActive`, `isStaff`, `isSuperuser`) are stored: `'native'` is PostgreSQL's `boolean`
   * (and 0/1 on SQLite, which has no boolean type), `'integer'` is 0/1 on both. @default 'native'
   */
  readonly booleans: 'native' | 'integer'
  /**
   * When set, the `isActive` column is a status column: a user is active when it holds `active` (compared as text);
   * cookiejwt writes `active` or `inactive`. @default null
   */
  readonly activeStatus: ActiveStatus | null
  /**
   * Format cookiejwt writes password hashes in: `'django'` (`argon2$argon2id$…`, `pbkdf2_sha256$…`) or `'phc'`
   * (`$argon2id$…`, `$2b$…`, as node-argon2, bcrypt and most non-Django stacks write them; requires
   * `passwordHasher` 'argon2' or 'bcrypt'). Both formats are read either way. @default 'django'
   */
  readonly passwordFormat: 'django' | 'phc'
  readonly columns: UserTableColumns
}

/** What `userTable` accepts: every key optional; `columns` merged over the defaults. */
export type UserTableInput = Partial<Omit<UserTableSettings, 'columns'>> & {
  columns?: Partial<UserTableColumns>
}

const REQUIRED_COLUMNS = ['id', 'username', 'password'] as const
// Identifiers are interpolated into SQL (quoted); only plain names are accepted, so quoting can never be escaped.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_INTEGER_ID = Number.MAX_SAFE_INTEGER

/**
 * Validates the `userTable` setting against its defaults; throws `ImproperlyConfigured` naming the bad key.
 * `passwordHasher` is the configured default hasher (the PHC format can only write argon2 and bcrypt hashes).
 */
export function userTableSettings(
  input: unknown,
  defaults: UserTableSettings,
  passwordHasher: string,
): UserTableSettings {
  if (input === undefined) input = {}
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ImproperlyConfigured('"userTable" must be an object')
  }
  const i = input as Record<string, unknown>
  for (const key of Object.keys(i)) {
    if (!(key in defaults)) throw new ImproperlyConfigured(`unknown setting "userTable.${key}"`)
  }
  const table = i.table ?? defaults.table
  if (
    typeof table !== 'string' ||
    !table.split('.').every((part) => IDENTIFIER.test(part)) ||
    table.split('.').length > 2
  ) {
    throw new ImproperlyConfigured(
      '"userTable.table" must be a table name (letters, digits, _), optionally schema.table',
    )
  }
  const idType = i.idType ?? defaults.idType
  if (idType !== 'integer' && idType !== 'uuid')
    throw new ImproperlyConfigured('"userTable.idType" must be one of integer, uuid')
  const booleans = i.booleans ?? defaults.booleans
  if (booleans !== 'native' && booleans !== 'integer') {
    throw new ImproperlyConfigured('"userTable.booleans" must be one of native, integer')
  }
  const passwordFormat = i.passwordFormat ?? defaults.passwordFormat
  if (passwordFormat !== 'django' && passwordFormat !== 'phc') {
    throw new ImproperlyConfigured('"userTable.passwordFormat" must be one of django, phc')
  }
  if (passwordFormat === 'phc' && passwordHasher !== 'argon2' && passwordHasher !== 'bcrypt') {
    throw new ImproperlyConfigured(
      `"userTable.passwordFormat" is 'phc' but "passwordHasher" is ${JSON.stringify(passwordHasher)}: ` +
        "PHC strings exist for 'argon2' and 'bcrypt' only",
    )
  }
  const columns = userTableColumns(i.columns, defaults.columns)
  const activeStatus = activeStatusOf(
    i.activeStatus === undefined ? defaults.activeStatus : i.activeStatus,
  )
  if (activeStatus !== null && columns.isActive === null) {
    throw new ImproperlyConfigured(
      '"userTable.activeStatus" needs a status column in "userTable.columns.isActive"',
    )
  }
  return { table, idType, booleans, activeStatus, passwordFormat, columns }
}

function userTableColumns(value: unknown, defaults: UserTableColumns): UserTableColumns {
  if (value === undefined) return { ...defaults }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ImproperlyConfigured('"userTable.columns" must be an object')
  }
  const given = value as Record<string, unknown>
  const out: Record<string, string | null> = { ...defaults }
  for (const [field, column] of Object.entries(given)) {
    if (!(field in defaults))
      throw new ImproperlyConfigured(`unknown setting "userTable.columns.${field}"`)
    const required = (REQUIRED_COLUMNS as readonly string[]).includes(field)
    if (column === null && !required) {
      out[field] = null
      continue
    }
    if (typeof column !== 'string' || !IDENTIFIER.test(column)) {
      throw new ImproperlyConfigured(
        `"userTable.columns.${field}" must be a column name (letters, digits, _)${required ? '' : ' or null'}`,
      )
    }
    out[field] = column
  }
  const used = Object.entries(out).filter((entry): entry is [string, string] => entry[1] !== null)
  for (const [field, column] of used) {
    const other = used.find(([f, c]) => f !== field && c === column)
    if (other) {
      throw new ImproperlyConfigured(
        `"userTable.columns.${field}" and "userTable.columns.${other[0]}" are both "${column}"`,
      )
    }
  }
  return out as unknown as UserTableColumns
}

function activeStatusOf(value: unknown): ActiveStatus | null {
  if (value === null) return null
  const ok = (v: unknown) =>
    (typeof v === 'string' && v.length > 0 && v.length <= 64) || Number.isSafeInteger(v)
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ImproperlyConfigured('"userTable.activeStatus" must be { active, inactive } or null')
  }
  const v = value as Record<string, unknown>
  for (const key of Object.keys(v)) {
    if (key !== 'active' && key !== 'inactive')
      throw new ImproperlyConfigured(`unknown setting "userTable.activeStatus.${key}"`)
  }
  if (!ok(v.active) || !ok(v.inactive)) {
    throw new ImproperlyConfigured(
      '"userTable.activeStatus.active" and ".inactive" must be non-empty strings or integers',
    )
  }
  if (String(v.active) === String(v.inactive)) {
    throw new ImproperlyConfigured('"userTable.activeStatus.active" and ".inactive" must differ')
  }
  return { active: v.active as string | number, inactive: v.inactive as string | number }
}

/**
 * Reads a user id of the table's type from a token claim or a request: a positive safe integer (or its decimal
 * text) for `'integer'`, a hyphenated UUID (any case, returned lower-case) for `'uuid'`. Null for anything else.
 */
export function parseUserId(idType: UserIdType, value: unknown): UserId | null {
  if (idType === 'uuid')
    return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : null
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null
  if (typeof value === 'string' && /^[1-9][0-9]{0,15}$/.test(value)) {
    const n = Number(value)
    return n <= MAX_INTEGER_ID ? n : null
  }
  return null
}

/**
 * Whether `table` is the default: Django's `auth_user` with Django's columns and integer ids, which cookiejwt's
 * migrations create when it is absent. Any other table is the application's own and is never created.
 */
export function isDefaultUserTable(table: UserTableSettings, defaults: UserTableSettings): boolean {
  const keys = Object.keys(defaults.columns) as (keyof UserTableColumns)[]
  return (
    table.table === defaults.table &&
    table.idType === defaults.idType &&
    keys.every((k) => table.columns[k] === defaults.columns[k])
  )
}
