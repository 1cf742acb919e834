import { randomUUID } from 'node:crypto'
import {
  DEFAULT_SETTINGS,
  DuplicateUserError,
  parseUserId,
  toPhcHash,
  type NewUser,
  type User,
  type UserId,
  type UserPatch,
  type UserStore,
  type UserTableColumns,
  type UserTableSettings,
} from '@cookiejwt/core'
import type { Kysely, Selectable } from 'kysely'
import type { DatabaseHandle } from './db.js'
import { perTurn } from '../per-turn.js'
import { guard, isUniqueViolation } from './errors.js'
import type { AuthUserTable } from './schema.js'
import { fromDbDate, toDbDate } from './values.js'

type Row = Record<string, unknown>

/** Most users remembered between two changes of a SQLite database (about 1 kB each). */
const MAX_CACHED_USERS = 10_000
type Field = keyof UserTableColumns

/**
 * Users in the configured user table: Django's `auth_user` by default, or an application's own table mapped by
 * `settings.userTable` (names, integer or UUID ids, boolean / 0-1 / status flags, Django or PHC hashes). Every
 * identifier comes from validated settings (plain names) and is quoted; values are always bound parameters.
 */
export class KyselyUserStore implements UserStore {
  readonly #h: DatabaseHandle
  readonly #t: UserTableSettings
  readonly #db: Kysely<Record<string, Row>>
  /** The mapped columns, in `User` field order: [field, column]. */
  readonly #mapped: [Field, string][]
  readonly #byId: string
  readonly #byUsername: string
  readonly #byIdsPostgres: string
  /** SQLite: users read at `#generation`, by id (null for none); emptied whenever the database changed. */
  readonly #cache = new Map<UserId, User | null>()
  #generation: number | null = null
  /** PostgreSQL: findById, one query for the lookups of an event-loop turn. */
  readonly #postgresLookup: ((id: UserId) => Promise<User | null>) | null

  constructor(handle: DatabaseHandle, table: UserTableSettings = DEFAULT_SETTINGS.userTable) {
    this.#h = handle
    this.#t = table
    this.#db = handle.db as unknown as Kysely<Record<string, Row>>
    this.#mapped = (Object.entries(table.columns) as [Field, string | null][]).filter(
      (entry): entry is [Field, string] => entry[1] !== null,
    )
    const select = `select ${this.#mapped.map(([, c]) => quote(c)).join(', ')} from ${quoteTable(table.table)}`
    this.#byId = `${select} where ${quote(table.columns.id)} = ?`
    this.#byUsername = `${select} where ${quote(table.columns.username)} = ?`
    this.#byIdsPostgres = `${select} where ${quote(table.columns.id)} = any($1)`
    const query = handle.queryPostgres
    this.#postgresLookup = query ? perTurn((ids) => this.#readPostgres(query, ids)) : null
  }

  findById(value: UserId): Promise<User | null> {
    const id = parseUserId(this.#t.idType, value)
    if (id === null) return Promise.resolve(null)
    // The hot path (a user per authenticated request): on SQLite one cached prepared statement, and not even that
    // while the database is unchanged since the row was read (see sqliteGeneration).
    const generationOf = this.#h.sqliteGeneration
    if (generationOf) return this.#cachedSqlite(id, generationOf)
    if (this.#h.prepareSqlite) return this.#getSqlite(this.#byId, id)
    // On PostgreSQL the row is read for every request (nothing tells a process that another one changed it), with
    // a prebuilt statement instead of Kysely's query building, one query for the requests of an event-loop turn.
    if (this.#postgresLookup) return this.#postgresLookup(id)
    return this.#findBy('id', id)
  }

  /**
   * PostgreSQL: the lookups of one event-loop turn share one round trip (`where id = any($1)`), sent after every one
   * of them was asked for (per-turn.ts), so each still reads the row as committed before it asked. A user asked for
   * twice in the turn is read once and shared: frozen, as on SQLite.
   */
  async #readPostgres(
    query: NonNullable<DatabaseHandle['queryPostgres']>,
    ids: readonly UserId[],
  ): Promise<(User | null)[]> {
    const unique = [...new Map(ids.map((id) => [String(id), id])).values()]
    const rows = await guard(() => query(this.#byIdsPostgres, [unique]))
    const found = new Map<string, User>()
    for (const row of rows) {
      const user = Object.freeze(this.#toUser(row))
      found.set(String(user.id), user)
    }
    return ids.map((id) => found.get(String(id)) ?? null)
  }

  #cachedSqlite(id: UserId, generationOf: () => Promise<number | null>): Promise<User | null> {
    // Synchronous in the callback: no other code runs between the generation's read and the row's.
    return generationOf()
      .then((generation) => {
        if (generation !== this.#generation) {
          this.#cache.clear()
          this.#generation = generation
        }
        if (generation === null) return this.#readSqlite(this.#byId, id)
        let user = this.#cache.get(id)
        if (user === undefined) {
          const row = this.#readSqlite(this.#byId, id)
          // Shared by every request until the next change: frozen, so no caller alters what the next one reads.
          user = row === null ? null : Object.freeze(row)
          if (this.#cache.size >= MAX_CACHED_USERS) this.#cache.clear()
          this.#cache.set(id, user)
        }
        return user
      })
      .catch((error: unknown) => guard(() => Promise.reject(error)))
  }

  findByUsername(username: string): Promise<User | null> {
    if (this.#h.prepareSqlite) return this.#getSqlite(this.#byUsername, username)
    return this.#findBy('username', username)
  }

  #findBy(field: 'id' | 'username', value: UserId): Promise<User | null> {
    return guard(async () => {
      const row = await this.#db
        .selectFrom(this.#t.table)
        .select(this.#columns())
        .where(this.#t.columns[field], '=', value)
        .executeTakeFirst()
      return row ? this.#toUser(row) : null
    })
  }

  #getSqlite(source: string, value: number | string): Promise<User | null> {
    try {
      return Promise.resolve(this.#readSqlite(source, value))
    } catch (error) {
      return guard(() => Promise.reject(error))
    }
  }

  #readSqlite(source: string, value: number | string): User | null {
    const row = this.#h.prepareSqlite!(source).get(value) as Row | undefined
    return row ? this.#toUser(row) : null
  }

  async create(user: NewUser, now: Date): Promise<User> {
    const values: Row = {}
    // Integer ids come from the table (autoincrement / identity); a UUID id is made here (RFC 9562 version 4).
    if (this.#t.idType === 'uuid') values[this.#t.columns.id] = randomUUID()
    this.#set(values, 'username', user.username)
    this.#set(values, 'password', this.#encodePassword(user.password))
    this.#set(values, 'email', user.email ?? '')
    this.#set(values, 'firstName', user.firstName ?? '')
    this.#set(values, 'lastName', user.lastName ?? '')
    this.#set(values, 'isStaff', this.#flag(user.isStaff ?? false))
    this.#set(values, 'isSuperuser', this.#flag(user.isSuperuser ?? false))
    this.#set(values, 'isActive', this.#active(user.isActive ?? true))
    this.#set(values, 'dateJoined', toDbDate(this.#h.dialect, now))
    this.#set(values, 'lastLogin', null)
    try {
      const row = await this.#db
        .insertInto(this.#t.table)
        .values(values)
        .returning(this.#columns())
        .executeTakeFirstOrThrow()
      return this.#toUser(row)
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateUserError(user.username)
      return guard(() => Promise.reject(error))
    }
  }

  update(value: UserId, patch: UserPatch): Promise<User | null> {
    const id = parseUserId(this.#t.idType, value)
    if (id === null) return Promise.resolve(null)
    const values: Row = {}
    // A field the table has no column for is left as it reads (e.g. email '' when there is no email column).
    if (patch.email !== undefined) this.#set(values, 'email', patch.email)
    if (patch.firstName !== undefined) this.#set(values, 'firstName', patch.firstName)
    if (patch.lastName !== undefined) this.#set(values, 'lastName', patch.lastName)
    if (patch.isActive !== undefined) this.#set(values, 'isActive', this.#active(patch.isActive))
    if (patch.isStaff !== undefined) this.#set(values, 'isStaff', this.#flag(patch.isStaff))
    if (patch.isSuperuser !== undefined)
      this.#set(values, 'isSuperuser', this.#flag(patch.isSuperuser))
    if (Object.keys(values).length === 0) return this.findById(id)
    return guard(async () => {
      const row = await this.#db
        .updateTable(this.#t.table)
        .set(values)
        .where(this.#t.columns.id, '=', id)
        .returning(this.#columns())
        .executeTakeFirst()
      return row ? this.#toUser(row) : null
    })
  }

  setPassword(value: UserId, encoded: string): Promise<boolean> {
    const id = parseUserId(this.#t.idType, value)
    if (id === null) return Promise.resolve(false)
    const password = this.#encodePassword(encoded)
    return guard(async () => {
      const result = await this.#db
        .updateTable(this.#t.table)
        .set({ [this.#t.columns.password]: password })
        .where(this.#t.columns.id, '=', id)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    })
  }

  touchLastLogin(value: UserId, now: Date): Promise<void> {
    const id = parseUserId(this.#t.idType, value)
    const column = this.#t.columns.lastLogin
    if (id === null || column === null) return Promise.resolve()
    return guard(async () => {
      await this.#db
        .updateTable(this.#t.table)
        .set({ [column]: toDbDate(this.#h.dialect, now) })
        .where(this.#t.columns.id, '=', id)
        .execute()
    })
  }

  /** Every user's id (operator commands acting on everyone, e.g. `cookiejwt sessions --all`). */
  allIds(): Promise<UserId[]> {
    return guard(async () => {
      const rows = await this.#db.selectFrom(this.#t.table).select(this.#t.columns.id).execute()
      return rows.flatMap((row) => {
        const id = parseUserId(
          this.#t.idType,
          typeof row[this.#t.columns.id] === 'bigint'
            ? String(row[this.#t.columns.id])
            : row[this.#t.columns.id],
        )
        return id === null ? [] : [id]
      })
    })
  }

  #columns(): string[] {
    return this.#mapped.map(([, c]) => c)
  }

  #set(values: Row, field: Field, value: unknown): void {
    const column = this.#t.columns[field]
    if (column !== null) values[column] = value
  }

  #flag(value: boolean): boolean | number {
    return this.#t.booleans === 'native' && this.#h.dialect === 'postgres' ? value : value ? 1 : 0
  }

  #active(value: boolean): boolean | number | string {
    const status = this.#t.activeStatus
    return status ? (value ? status.active : status.inactive) : this.#flag(value)
  }

  /** A hash in the table's format; the PHC format holds argon2 and bcrypt only (settings refuse other hashers). */
  #encodePassword(encoded: string): string {
    if (this.#t.passwordFormat === 'django') return encoded
    // Unusable passwords ('!…') are kept as they are: no password matches them in either format.
    if (encoded.startsWith('!')) return encoded
    const phc = toPhcHash(encoded)
    if (phc === null)
      throw new Error(
        `userTable.passwordFormat is 'phc' but the hasher wrote a ${encoded.split('$')[0]} hash`,
      )
    return phc
  }

  #toUser(row: Row): User {
    const c = this.#t.columns
    const read = (column: string | null): unknown => (column === null ? undefined : row[column])
    const text = (column: string | null): string => {
      const value = read(column)
      return value === null || value === undefined ? '' : String(value)
    }
    const status = this.#t.activeStatus
    const active = read(c.isActive)
    const id = parseUserId(
      this.#t.idType,
      typeof row[c.id] === 'bigint' ? String(row[c.id]) : row[c.id],
    )
    // The schema check at start-up refuses id columns of the wrong type; a row that still does not parse is refused.
    if (id === null)
      throw new Error(
        `${this.#t.table}.${c.id} holds a value that is not a${this.#t.idType === 'uuid' ? ' UUID' : 'n integer id'}`,
      )
    return {
      id,
      username: text(c.username),
      email: text(c.email),
      firstName: text(c.firstName),
      lastName: text(c.lastName),
      isStaff: c.isStaff !== null && isTrue(read(c.isStaff)),
      isSuperuser: c.isSuperuser !== null && isTrue(read(c.isSuperuser)),
      isActive:
        c.isActive === null
          ? true
          : status
            ? String(active) === String(status.active)
            : isTrue(active),
      dateJoined:
        (c.dateJoined === null
          ? null
          : fromDbDate(read(c.dateJoined) as Date | string | number | null)) ?? new Date(0),
      lastLogin:
        c.lastLogin === null
          ? null
          : fromDbDate(read(c.lastLogin) as Date | string | number | null),
      // A NULL password (accounts without one, e.g. social logins) is unusable: it never verifies.
      password: text(c.password),
    }
  }
}

/** Maps a row of Django's `auth_user` to a User (the admin service reads that table directly). */
export function toUser(row: Selectable<AuthUserTable>): User {
  return {
    id: Number(row.id),
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    isStaff: isTrue(row.is_staff),
    isSuperuser: isTrue(row.is_superuser),
    isActive: isTrue(row.is_active),
    dateJoined: fromDbDate(row.date_joined) ?? new Date(0),
    lastLogin: fromDbDate(row.last_login),
    password: row.password,
  }
}

// Booleans may arrive as 1/0, true/false, or text written by other tools ('f', 'false', '0'); fail closed.
function isTrue(value: unknown): boolean {
  if (typeof value === 'string') return ['1', 't', 'true', 'yes'].includes(value.toLowerCase())
  return value === true || value === 1 || value === 1n
}

/** A double-quoted SQL identifier; settings only admit plain names, and a quote is doubled anyway. */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}

/** A table name, schema-qualified when it has a dot (`auth.users`). */
export function quoteTable(table: string): string {
  return table.split('.').map(quote).join('.')
}
