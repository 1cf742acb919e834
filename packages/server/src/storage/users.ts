import { DuplicateUserError, type NewUser, type User, type UserPatch, type UserStore } from '@cookiejwt/core'
import type { Selectable } from 'kysely'
import type { DatabaseHandle } from './db.js'
import { guard, isUniqueViolation } from './errors.js'
import type { AuthUserTable } from './schema.js'
import { fromDbDate, toDbBool, toDbDate } from './values.js'

/** Users in Django's `auth_user` table. */
export class KyselyUserStore implements UserStore {
  readonly #h: DatabaseHandle

  constructor(handle: DatabaseHandle) {
    this.#h = handle
  }

  findById(id: number): Promise<User | null> {
    if (!Number.isSafeInteger(id) || id <= 0) return Promise.resolve(null)
    // The hot path (a user per authenticated request): on SQLite one cached prepared statement, synchronously.
    if (this.#h.prepareSqlite) return this.#getSqlite('select * from "auth_user" where "id" = ?', id)
    return guard(async () => {
      const row = await this.#h.db.selectFrom('auth_user').selectAll().where('id', '=', id).executeTakeFirst()
      return row ? toUser(row) : null
    })
  }

  findByUsername(username: string): Promise<User | null> {
    if (this.#h.prepareSqlite) return this.#getSqlite('select * from "auth_user" where "username" = ?', username)
    return guard(async () => {
      const row = await this.#h.db.selectFrom('auth_user').selectAll().where('username', '=', username).executeTakeFirst()
      return row ? toUser(row) : null
    })
  }

  #getSqlite(source: string, value: number | string): Promise<User | null> {
    try {
      const row = this.#h.prepareSqlite!(source).get(value) as Selectable<AuthUserTable> | undefined
      return Promise.resolve(row ? toUser(row) : null)
    } catch (error) {
      return guard(() => Promise.reject(error))
    }
  }

  async create(user: NewUser, now: Date): Promise<User> {
    const d = this.#h.dialect
    try {
      const row = await this.#h.db
        .insertInto('auth_user')
        .values({
          username: user.username,
          email: user.email ?? '',
          first_name: user.firstName ?? '',
          last_name: user.lastName ?? '',
          is_staff: toDbBool(d, user.isStaff ?? false),
          is_superuser: toDbBool(d, user.isSuperuser ?? false),
          is_active: toDbBool(d, user.isActive ?? true),
          password: user.password,
          date_joined: toDbDate(d, now),
          last_login: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      return toUser(row)
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateUserError(user.username)
      return guard(() => Promise.reject(error))
    }
  }

  update(id: number, patch: UserPatch): Promise<User | null> {
    const d = this.#h.dialect
    const values: Record<string, string | number | boolean> = {}
    if (patch.email !== undefined) values.email = patch.email
    if (patch.firstName !== undefined) values.first_name = patch.firstName
    if (patch.lastName !== undefined) values.last_name = patch.lastName
    if (patch.isActive !== undefined) values.is_active = toDbBool(d, patch.isActive)
    if (patch.isStaff !== undefined) values.is_staff = toDbBool(d, patch.isStaff)
    if (patch.isSuperuser !== undefined) values.is_superuser = toDbBool(d, patch.isSuperuser)
    if (Object.keys(values).length === 0) return this.findById(id)
    return guard(async () => {
      const row = await this.#h.db.updateTable('auth_user').set(values).where('id', '=', id).returningAll().executeTakeFirst()
      return row ? toUser(row) : null
    })
  }

  setPassword(id: number, encoded: string): Promise<boolean> {
    return guard(async () => {
      const result = await this.#h.db.updateTable('auth_user').set({ password: encoded }).where('id', '=', id).executeTakeFirst()
      return result.numUpdatedRows > 0n
    })
  }

  touchLastLogin(id: number, now: Date): Promise<void> {
    return guard(async () => {
      await this.#h.db.updateTable('auth_user').set({ last_login: toDbDate(this.#h.dialect, now) }).where('id', '=', id).execute()
    })
  }
}

/** Maps an `auth_user` row to a User (booleans and timestamps as every dialect and Django store them). */
export function toUser(row: Selectable<AuthUserTable>): User {
  return {
    id: Number(row.id),
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    isStaff: Boolean(row.is_staff),
    isSuperuser: Boolean(row.is_superuser),
    isActive: isTrue(row.is_active),
    dateJoined: fromDbDate(row.date_joined) ?? new Date(0),
    lastLogin: fromDbDate(row.last_login),
    password: row.password,
  }
}

// Booleans may arrive as 1/0, true/false, or text written by other tools ('f', 'false', '0'); fail closed.
function isTrue(value: unknown): boolean {
  if (typeof value === 'string') return ['1', 't', 'true', 'yes'].includes(value.toLowerCase())
  return value === true || value === 1
}
