// Over 300 lines on purpose: every admin change with its rules and audit row in one transaction, side by side.
import {
  AuthError,
  DEFAULT_SETTINGS,
  ImproperlyConfigured,
  isDefaultUserTable,
  ServiceUnavailableError,
  ValidationError,
  type AuthSettings,
  type PasswordHashers,
  type User,
} from '@cookiejwt/core'
import type { Kysely } from 'kysely'
import type { SessionInfo, SessionManager } from '../sessions/manager.js'
import type { DatabaseHandle } from '../storage/db.js'
import { guard, isUniqueViolation } from '../storage/errors.js'
import type { Database } from '../storage/schema.js'
import { toUser } from '../storage/users.js'
import { toDbBool, toDbDate } from '../storage/values.js'
import {
  listAudit,
  writeAudit,
  type AuditAction,
  type AuditChange,
  type AuditContext,
  type AuditEntry,
  type AuditListQuery,
} from './audit.js'
import type { Page } from './keyset.js'
import {
  assertMayActOn,
  assertMayAdminister,
  assertMayGrant,
  checkDelete,
  checkUpdate,
  effectiveChanges,
  endsAccess,
  removesActiveSuperuser,
  type Acting,
  type AdminUserChanges,
} from './rules.js'
import { adminTransaction } from './transaction.js'
import { listUsers, type UserListQuery } from './user-list.js'
import {
  hashPassword,
  passwordProblems,
  validateChanges,
  validateNewUser,
  type AdminNewUser,
} from './validation.js'

/** Who asks: a signed-in user by id (loaded afresh, inside each change's transaction), or the CLI with the OS user. */
export type AdminActor =
  { readonly kind: 'user'; readonly id: number } | { readonly kind: 'cli'; readonly osUser: string }

/** Where a request came from, for the audit row. */
export interface AdminClient {
  readonly ip?: string | undefined
  readonly userAgent?: string | undefined
}

/** What the admin service needs. */
export interface AdminServiceDeps {
  readonly settings: AuthSettings
  readonly database: DatabaseHandle
  readonly hashers: PasswordHashers
  readonly sessions: SessionManager
  readonly now?: (() => Date) | undefined
  /** Told when a committed change could not update a cache (the database already refuses the sessions). */
  readonly onWarning?: ((message: string, error: unknown) => void) | undefined
}

const NOT_FOUND = 'Not found.'
const SESSION_ID = /^[0-9a-f]{32}$/

/** The wire names of the fields an audit row records, in order. */
const AUDITED: readonly [keyof AdminUserChanges | 'username', string][] = [
  ['username', 'username'],
  ['email', 'email'],
  ['firstName', 'first_name'],
  ['lastName', 'last_name'],
  ['isActive', 'is_active'],
  ['isStaff', 'is_staff'],
  ['isSuperuser', 'is_superuser'],
]

/**
 * Managing users and their sessions, for the admin API and the CLI alike. Every change runs in one transaction with
 * its audit row and its rules (who may, never yourself, never the last active superuser), so a refused or failed
 * change writes nothing; a change that takes access away ends the user's sessions in the same transaction.
 */
export class AdminService {
  readonly #d: AdminServiceDeps

  constructor(deps: AdminServiceDeps) {
    // The admin reads and writes Django's auth_user directly (search, ordering, locks): not an application's own table.
    if (!isDefaultUserTable(deps.settings.userTable, DEFAULT_SETTINGS.userTable)) {
      throw new ImproperlyConfigured(
        `the admin works on Django's auth_user only; it is not available with userTable "${deps.settings.userTable.table}"`,
      )
    }
    this.#d = deps
  }

  /** Loads the acting party and checks they may use the admin: 403 `permission_denied` otherwise. */
  async authorize(actor: AdminActor): Promise<Acting> {
    return this.#acting(this.#d.database.db, actor)
  }

  /** One page of users (see `parseUserListQuery`). */
  listUsers(query: UserListQuery): Promise<Page<User>> {
    return listUsers(this.#d.database, query)
  }

  /** A user by id; 404 `not_found` when there is none. */
  async getUser(id: number): Promise<User> {
    const user = await guard(() => this.#find(this.#d.database.db, id))
    if (!user) throw notFound()
    return user
  }

  /** The user's active sessions, most recently used first; 404 for an unknown user. */
  async listSessions(id: number): Promise<SessionInfo[]> {
    await this.getUser(id)
    return this.#d.sessions.list(id, this.#now())
  }

  /** One page of the audit log, newest first. */
  listAudit(query: AuditListQuery): Promise<Page<AuditEntry>> {
    return listAudit(this.#d.database, query)
  }

  /** Creates a user (password checked as `createsuperuser` checks it); 400 for a taken username. */
  async createUser(actor: AdminActor, client: AdminClient, input: AdminNewUser): Promise<User> {
    // Permission first (a 403 says more than a weak password's 400), again inside the transaction.
    assertMayGrant(await this.authorize(actor), grantsOf(input))
    validateNewUser(this.#d.settings, input)
    // Hashing is slow: done before the transaction so no lock is held meanwhile.
    const encoded = await hashPassword(this.#d.hashers, input.password)
    return this.#change(actor, client, async (trx, acting, audit) => {
      assertMayGrant(acting, grantsOf(input))
      if (
        await trx
          .selectFrom('auth_user')
          .select('id')
          .where('username', '=', input.username)
          .executeTakeFirst()
      ) {
        throw duplicateUsername()
      }
      const d = this.#d.database.dialect
      let row
      try {
        row = await trx
          .insertInto('auth_user')
          .values({
            username: input.username,
            email: input.email ?? '',
            first_name: input.firstName ?? '',
            last_name: input.lastName ?? '',
            is_active: toDbBool(d, input.isActive ?? true),
            is_staff: toDbBool(d, input.isStaff ?? false),
            is_superuser: toDbBool(d, input.isSuperuser ?? false),
            password: encoded,
            date_joined: toDbDate(d, audit.now),
            last_login: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
      } catch (error) {
        // Another transaction took the name between the check and the insert (the unique index decides).
        if (isUniqueViolation(error)) throw duplicateUsername()
        throw error
      }
      const user = toUser(row)
      await audit.write('user.create', user, snapshot(user, 'new'))
      return { result: user }
    })
  }

  /**
   * Changes names, email and flags. Deactivation and demotion end the user's sessions and access tokens at once.
   * Returns the user as stored afterwards.
   */
  async updateUser(
    actor: AdminActor,
    client: AdminClient,
    id: number,
    patch: AdminUserChanges,
  ): Promise<User> {
    validateChanges(patch)
    return this.#change(actor, client, async (trx, acting, audit) => {
      const target = await this.#find(trx, id, true)
      if (!target) throw notFound()
      const changes = effectiveChanges(target, patch)
      checkUpdate(acting, target, changes)
      if (Object.keys(changes).length === 0) return { result: target }
      if (removesActiveSuperuser(target, changes)) {
        await this.#assertNotLastSuperuser(
          trx,
          target,
          changes.isActive === false ? 'is_active' : 'is_superuser',
        )
      }
      const d = this.#d.database.dialect
      const row = await trx
        .updateTable('auth_user')
        .set({
          ...(changes.email !== undefined ? { email: changes.email } : {}),
          ...(changes.firstName !== undefined ? { first_name: changes.firstName } : {}),
          ...(changes.lastName !== undefined ? { last_name: changes.lastName } : {}),
          ...(changes.isActive !== undefined ? { is_active: toDbBool(d, changes.isActive) } : {}),
          ...(changes.isStaff !== undefined ? { is_staff: toDbBool(d, changes.isStaff) } : {}),
          ...(changes.isSuperuser !== undefined
            ? { is_superuser: toDbBool(d, changes.isSuperuser) }
            : {}),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()
      const updated = toUser(row)
      await audit.write('user.update', target, diff(target, updated))
      const reason = changes.isActive === false ? 'admin_deactivated' : 'admin_demoted'
      const after = endsAccess(target, changes)
        ? await this.#d.sessions.endAllInTransaction(trx, id, reason, audit.now)
        : undefined
      return { result: updated, after }
    })
  }

  /** Sets a password (checked as `createsuperuser` checks it) and ends every session of the user. */
  async setPassword(
    actor: AdminActor,
    client: AdminClient,
    id: number,
    password: string,
  ): Promise<void> {
    const before = await this.getUser(id)
    assertMayActOn(await this.authorize(actor), before)
    const problems = passwordProblems(this.#d.settings, password, before)
    if (problems.length > 0) throw new ValidationError({ password: problems })
    const encoded = await hashPassword(this.#d.hashers, password)
    await this.#change(actor, client, async (trx, acting, audit) => {
      const target = await this.#find(trx, id, true)
      if (!target) throw notFound()
      assertMayActOn(acting, target)
      await trx.updateTable('auth_user').set({ password: encoded }).where('id', '=', id).execute()
      // The audit row says that it happened, never what the password or its hash is.
      await audit.write('user.set_password', target, {})
      return {
        result: undefined,
        after: await this.#d.sessions.endAllInTransaction(trx, id, 'admin_password_set', audit.now),
      }
    })
  }

  /** Deletes a user (never yourself, never the last active superuser); their sessions end with them. */
  async deleteUser(actor: AdminActor, client: AdminClient, id: number): Promise<void> {
    await this.#change(actor, client, async (trx, acting, audit) => {
      const target = await this.#find(trx, id, true)
      if (!target) throw notFound()
      checkDelete(acting, target)
      if (removesActiveSuperuser(target, 'deleted'))
        await this.#assertNotLastSuperuser(trx, target, null)
      // Ended before the row goes: the revocations reach every process's cache, not only this one's.
      const after = await this.#d.sessions.endAllInTransaction(trx, id, 'admin_deleted', audit.now)
      await trx.deleteFrom('auth_user').where('id', '=', id).execute()
      await audit.write('user.delete', target, snapshot(target, 'old'))
      return { result: undefined, after }
    })
  }

  /** Revokes one active session of a user; 404 when the user or the session (of that user, active) is unknown. */
  async revokeSession(
    actor: AdminActor,
    client: AdminClient,
    id: number,
    sid: string,
  ): Promise<void> {
    await this.#change(actor, client, async (trx, acting, audit) => {
      const target = await this.#find(trx, id, true)
      if (!target) throw notFound()
      assertMayActOn(acting, target)
      if (!SESSION_ID.test(sid)) throw notFound()
      const after = await this.#d.sessions.revokeInTransaction(
        trx,
        sid,
        id,
        'admin_revoked',
        audit.now,
      )
      if (!after) throw notFound()
      await audit.write('session.revoke', target, { session: { old: sid, new: null } })
      return { result: undefined, after }
    })
  }

  /** Ends every session of a user and every access token issued before; returns how many sessions were active. */
  async revokeAllSessions(actor: AdminActor, client: AdminClient, id: number): Promise<number> {
    const { revoked } = await this.#change(actor, client, async (trx, acting, audit) => {
      const target = await this.#find(trx, id, true)
      if (!target) throw notFound()
      assertMayActOn(acting, target)
      const after = await this.#d.sessions.endAllInTransaction(
        trx,
        id,
        'admin_revoked_all',
        audit.now,
      )
      const result = { revoked: 0 }
      await audit.write('session.revoke_all', target, {})
      return {
        result,
        after: async () => {
          result.revoked = await after()
        },
      }
    })
    return revoked
  }

  async #change<T>(
    actor: AdminActor,
    client: AdminClient,
    work: (
      trx: Kysely<Database>,
      acting: Acting,
      audit: {
        now: Date
        write(
          action: AuditAction,
          target: User,
          changes: Record<string, AuditChange>,
        ): Promise<void>
      },
    ) => Promise<{ result: T; after?: (() => Promise<unknown>) | undefined }>,
  ): Promise<T> {
    const now = this.#now()
    const { result, after } = await adminTransaction(this.#d.database, async (trx) => {
      const acting = await this.#acting(trx, actor)
      const context: AuditContext = {
        actor:
          acting.kind === 'cli'
            ? { id: null, username: `cli:${acting.osUser}` }
            : { id: acting.user.id as number, username: acting.user.username },
        ip: client.ip ?? '',
        userAgent: client.userAgent ?? '',
        now,
      }
      return work(trx, acting, {
        now,
        write: (action, target, changes) =>
          writeAudit(
            trx,
            this.#d.database.dialect,
            context,
            action,
            { id: target.id as number, username: target.username },
            changes,
          ),
      })
    })
    if (after) {
      try {
        await after()
      } catch (error) {
        // Committed: the database already refuses the sessions, and every process reads it within
        // revocationCacheTtl. Only a faster path (a cache, the blacklist copy) missed the news.
        if (!(error instanceof ServiceUnavailableError)) throw error
        this.#d.onWarning?.(
          'an admin change was committed but a revocation cache could not be updated',
          error,
        )
      }
    }
    return result
  }

  async #acting(db: Kysely<Database>, actor: AdminActor): Promise<Acting> {
    if (actor.kind === 'cli') return { kind: 'cli', osUser: actor.osUser }
    const user = await guard(() => this.#find(db, actor.id))
    // A deleted, deactivated or demoted admin loses the admin on their next request, whatever their token says.
    if (!user)
      throw new AuthError('permission_denied', 'You do not have permission to perform this action.')
    const acting: Acting = { kind: 'user', user }
    assertMayAdminister(acting)
    return acting
  }

  async #find(db: Kysely<Database>, id: number, forUpdate = false): Promise<User | null> {
    if (!Number.isSafeInteger(id) || id <= 0) return null
    let query = db.selectFrom('auth_user').selectAll().where('id', '=', id)
    if (forUpdate && this.#d.database.dialect === 'postgres') query = query.forUpdate()
    const row = await query.executeTakeFirst()
    return row ? toUser(row) : null
  }

  /** Inside the admin lock: refuses the change when no other active superuser would remain. */
  async #assertNotLastSuperuser(
    trx: Kysely<Database>,
    target: User,
    field: 'is_active' | 'is_superuser' | null,
  ): Promise<void> {
    const d = this.#d.database.dialect
    const other = await trx
      .selectFrom('auth_user')
      .select('id')
      .where('is_superuser', '=', toDbBool(d, true))
      .where('is_active', '=', toDbBool(d, true))
      .where('id', '!=', target.id as number)
      .limit(1)
      .executeTakeFirst()
    if (other) return
    if (field === null)
      throw new AuthError('permission_denied', 'The last active superuser cannot be deleted.')
    throw new ValidationError({
      [field]: [
        field === 'is_active'
          ? 'The last active superuser cannot be deactivated.'
          : 'The last active superuser cannot be demoted.',
      ],
    })
  }

  #now(): Date {
    return this.#d.now?.() ?? new Date()
  }
}

// Creating a user with a flag set grants it; false (the default) grants nothing.
function grantsOf(input: AdminNewUser): AdminUserChanges {
  return {
    ...(input.isStaff ? { isStaff: true } : {}),
    ...(input.isSuperuser ? { isSuperuser: true } : {}),
  }
}

function notFound(): AuthError {
  return new AuthError('not_found', NOT_FOUND)
}

function duplicateUsername(): ValidationError {
  return new ValidationError({ username: ['A user with that username already exists.'] })
}

function snapshot(user: User, side: 'old' | 'new'): Record<string, AuditChange> {
  const changes: Record<string, AuditChange> = {}
  for (const [key, wire] of AUDITED) {
    changes[wire] = side === 'new' ? { old: null, new: user[key] } : { old: user[key], new: null }
  }
  return changes
}

function diff(before: User, after: User): Record<string, AuditChange> {
  const changes: Record<string, AuditChange> = {}
  for (const [key, wire] of AUDITED) {
    if (before[key] !== after[key]) changes[wire] = { old: before[key], new: after[key] }
  }
  return changes
}
