import { createHash } from 'node:crypto'

import { sql, type Kysely, type Transaction } from 'kysely'

import type { DatabaseHandle } from '../storage/db.js'
import type { Database } from '../storage/schema.js'
import { fromDbDate, toDbBool, toDbDate } from '../storage/values.js'

/** What one import did (or, with `dryRun`, would do). */
export interface DjangoImportReport {
  /** Users copied with their Django id. */
  created: number
  /** Users already imported whose hash, flags, names or dates changed since. */
  updated: number
  /** Users already imported and identical. */
  unchanged: number
  /** Usernames refused: the target has a different user with that username or id (never overwritten). */
  conflicts: { username: string; reason: string }[]
  /** Unexpired blacklisted refresh tokens copied, so a token revoked in Django stays revoked. */
  blacklistedTokens: number
  dryRun: boolean
}

interface SourceUser {
  id: number
  password: string
  last_login: Date | null
  is_superuser: boolean
  username: string
  first_name: string
  last_name: string
  email: string
  is_staff: boolean
  is_active: boolean
  date_joined: Date
}

function bool(value: unknown): boolean {
  if (typeof value === 'string') return ['1', 't', 'true'].includes(value.toLowerCase())
  return value === true || value === 1 || value === 1n
}

function toSourceUser(row: Record<string, unknown>): SourceUser {
  const dateJoined = fromDbDate(row.date_joined as Date | string)
  if (dateJoined === null) throw new Error(`auth_user id ${String(row.id)}: unreadable date_joined`)
  return {
    id: Number(row.id),
    password: String(row.password ?? ''),
    last_login: fromDbDate((row.last_login ?? null) as Date | string | null),
    is_superuser: bool(row.is_superuser),
    username: String(row.username),
    first_name: String(row.first_name ?? ''),
    last_name: String(row.last_name ?? ''),
    email: String(row.email ?? ''),
    is_staff: bool(row.is_staff),
    is_active: bool(row.is_active),
    date_joined: dateJoined,
  }
}

const time = (d: Date | null) => (d === null ? null : Math.floor(d.getTime() / 1000))

/** The same person: same id and the same `date_joined` to the millisecond (both sides keep at least ms). */
function sameUser(a: SourceUser, b: SourceUser): boolean {
  return a.id === b.id && a.date_joined.getTime() === b.date_joined.getTime()
}

function identical(a: SourceUser, b: SourceUser): boolean {
  return (
    a.password === b.password &&
    time(a.last_login) === time(b.last_login) &&
    a.is_superuser === b.is_superuser &&
    a.first_name === b.first_name &&
    a.last_name === b.last_name &&
    a.email === b.email &&
    a.is_staff === b.is_staff &&
    a.is_active === b.is_active
  )
}

async function readUsers(db: Kysely<Database> | Transaction<Database>): Promise<SourceUser[]> {
  const rows = await db.selectFrom('auth_user').selectAll().orderBy('id').execute()
  return rows.map((r) => toSourceUser(r as unknown as Record<string, unknown>))
}

/**
 * Copies Django's users (hashes, flags, names, dates, and their ids, so tokens Django issued keep
 * naming the same user) and its unexpired blacklisted refresh tokens into cookiejwt's schema.
 *
 * Idempotent: a user already imported (same username, id and `date_joined`) is updated in place or
 * left alone. A target user with the same username or id but not the same person is never
 * overwritten: it is reported in `conflicts` and skipped. Runs in one transaction on the target;
 * `dryRun` computes the report and writes nothing.
 */
export async function importDjangoUsers(
  source: DatabaseHandle,
  target: DatabaseHandle,
  options: { dryRun?: boolean; now?: Date } = {},
): Promise<DjangoImportReport> {
  const now = options.now ?? new Date()
  const dryRun = options.dryRun ?? false
  const users = await readUsers(source.db)
  const blacklisted = await source.db
    .selectFrom('token_blacklist_blacklistedtoken as b')
    .innerJoin('token_blacklist_outstandingtoken as o', 'o.id', 'b.token_id')
    .select(['o.jti', 'o.token', 'o.created_at', 'o.expires_at', 'o.user_id', 'b.blacklisted_at'])
    .execute()
    .catch(() => [])

  const report: DjangoImportReport = {
    created: 0,
    updated: 0,
    unchanged: 0,
    conflicts: [],
    blacklistedTokens: 0,
    dryRun,
  }
  const d = target.dialect

  const apply = async (trx: Transaction<Database>): Promise<void> => {
    const existing = await readUsers(trx)
    const byUsername = new Map(existing.map((u) => [u.username, u]))
    const byId = new Map(existing.map((u) => [u.id, u]))
    const imported = new Set<number>()
    for (const user of users) {
      const sameName = byUsername.get(user.username)
      const sameId = byId.get(user.id)
      if (sameName) {
        if (!sameUser(sameName, user)) {
          report.conflicts.push({
            username: user.username,
            reason: 'a different user has this username',
          })
          continue
        }
        imported.add(user.id)
        if (identical(sameName, user)) {
          report.unchanged++
          continue
        }
        report.updated++
        if (!dryRun) {
          await trx
            .updateTable('auth_user')
            .set({
              password: user.password,
              last_login: user.last_login === null ? null : toDbDate(d, user.last_login),
              is_superuser: toDbBool(d, user.is_superuser),
              first_name: user.first_name,
              last_name: user.last_name,
              email: user.email,
              is_staff: toDbBool(d, user.is_staff),
              is_active: toDbBool(d, user.is_active),
            })
            .where('id', '=', user.id)
            .execute()
        }
        continue
      }
      if (sameId) {
        report.conflicts.push({
          username: user.username,
          reason: `id ${user.id} belongs to another user here (tokens naming it would reach the wrong account)`,
        })
        continue
      }
      report.created++
      imported.add(user.id)
      if (!dryRun) {
        await trx
          .insertInto('auth_user')
          .values({
            id: user.id,
            password: user.password,
            last_login: user.last_login === null ? null : toDbDate(d, user.last_login),
            is_superuser: toDbBool(d, user.is_superuser),
            username: user.username,
            first_name: user.first_name,
            last_name: user.last_name,
            email: user.email,
            is_staff: toDbBool(d, user.is_staff),
            is_active: toDbBool(d, user.is_active),
            date_joined: toDbDate(d, user.date_joined),
          })
          .execute()
      }
    }

    for (const row of blacklisted) {
      const expiresAt = fromDbDate(row.expires_at)
      if (expiresAt === null || expiresAt <= now) continue
      const userId = row.user_id === null ? null : Number(row.user_id)
      // Only tokens of users now present here; a token naming a conflicting id is not ours to record.
      if (userId !== null && !imported.has(userId)) continue
      const known = await trx
        .selectFrom('token_blacklist_blacklistedtoken as b')
        .innerJoin('token_blacklist_outstandingtoken as o', 'o.id', 'b.token_id')
        .select('b.id')
        .where('o.jti', '=', row.jti)
        .executeTakeFirst()
      if (known) continue
      report.blacklistedTokens++
      if (dryRun) continue
      await trx
        .insertInto('token_blacklist_outstandingtoken')
        .values({
          jti: row.jti,
          // cookiejwt stores a digest, never a usable token.
          token: row.token.startsWith('sha256$')
            ? row.token
            : `sha256$${createHash('sha256').update(row.token).digest('hex')}`,
          created_at:
            row.created_at === null ? null : toDbDate(d, fromDbDate(row.created_at) ?? now),
          expires_at: toDbDate(d, expiresAt),
          user_id: userId,
        })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute()
      const outstanding = await trx
        .selectFrom('token_blacklist_outstandingtoken')
        .select('id')
        .where('jti', '=', row.jti)
        .executeTakeFirstOrThrow()
      await trx
        .insertInto('token_blacklist_blacklistedtoken')
        .values({
          token_id: Number(outstanding.id),
          blacklisted_at: toDbDate(d, fromDbDate(row.blacklisted_at) ?? now),
        })
        .onConflict((oc) => oc.column('token_id').doNothing())
        .execute()
    }

    if (!dryRun && report.created > 0 && d === 'postgres') {
      // Explicit ids leave the identity sequence behind: move it past the largest id.
      await sql`select setval(pg_get_serial_sequence('auth_user', 'id'), (select max(id) from auth_user))`.execute(
        trx,
      )
    }
  }

  await target.db.transaction().execute(apply)
  return report
}
