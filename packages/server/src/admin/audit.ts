import { ValidationError } from '@cookiejwt/core'
import type { Kysely } from 'kysely'
import type { DatabaseHandle, DialectName } from '../storage/db.js'
import { guard } from '../storage/errors.js'
import type { Database } from '../storage/schema.js'
import { fromDbDate, toDbDate } from '../storage/values.js'
import {
  decodeCursor,
  parsePageSize,
  readPage,
  type Cursor,
  type Ordering,
  type Page,
} from './keyset.js'
import { parseIdParameter, readQueryValue, type RawQuery } from './query.js'

/** What an audit row records. */
export const AUDIT_ACTIONS = [
  'user.create',
  'user.update',
  'user.set_password',
  'user.delete',
  'session.revoke',
  'session.revoke_all',
] as const

/** One of `AUDIT_ACTIONS`. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

/** Who made a change: a user (id and username as they were), or the CLI (`id` null, `username` "cli:<OS user>"). */
export interface AuditParty {
  readonly id: number | null
  readonly username: string
}

/** An old and a new value of one changed field. */
export interface AuditChange {
  readonly old: unknown
  readonly new: unknown
}

/** Where and when a change was made. */
export interface AuditContext {
  readonly actor: AuditParty
  readonly ip: string
  readonly userAgent: string
  readonly now: Date
}

/** One audit row as read back. */
export interface AuditEntry {
  readonly id: number
  readonly createdAt: Date
  readonly actor: AuditParty
  readonly action: AuditAction
  readonly target: AuditParty | null
  readonly changes: Readonly<Record<string, AuditChange>>
  readonly ip: string
  readonly userAgent: string
}

/** Field names an audit row must never carry, whatever a caller passes. */
const SECRET_FIELDS = /pass|hash|secret|token/i
const PARTY_MAX = 200
const IP_MAX = 64
const USER_AGENT_MAX = 512

/**
 * Writes one audit row with `trx`, the transaction of the change itself, so the row exists exactly when the change
 * does. Throws (and so rolls the change back) when `changes` names a password, hash, secret or token field.
 */
export async function writeAudit(
  trx: Kysely<Database>,
  dialect: DialectName,
  context: AuditContext,
  action: AuditAction,
  target: AuditParty | null,
  changes: Readonly<Record<string, AuditChange>>,
): Promise<void> {
  for (const field of Object.keys(changes)) {
    if (SECRET_FIELDS.test(field)) throw new Error(`audit rows never record "${field}"`)
  }
  await trx
    .insertInto('cookiejwt_admin_audit')
    .values({
      created_at: toDbDate(dialect, context.now),
      actor_id: context.actor.id,
      actor: context.actor.username.slice(0, PARTY_MAX),
      action,
      target_id: target?.id ?? null,
      target: target?.username.slice(0, PARTY_MAX) ?? '',
      changes: JSON.stringify(changes),
      ip: context.ip.slice(0, IP_MAX),
      user_agent: context.userAgent.slice(0, USER_AGENT_MAX),
    })
    .execute()
}

/** A parsed, validated `GET /api/admin/audit/` query. */
export interface AuditListQuery {
  readonly actorId?: number | undefined
  readonly targetId?: number | undefined
  readonly action?: AuditAction | undefined
  readonly cursor: Cursor | null
  readonly pageSize: number
}

/** The audit list's one order: newest first. */
export const AUDIT_ORDERING: Ordering = {
  name: '-id',
  field: { column: 'id', unique: true, kind: 'integer', nullable: false },
  descending: true,
}

/** Validates `actor`, `target`, `action`, `cursor` and `page_size`; every problem at once, as a 400. */
export function parseAuditQuery(raw: RawQuery, dialect: DialectName): AuditListQuery {
  const errors: Record<string, string[]> = {}
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse()
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error
      Object.assign(errors, error.fields)
      return undefined
    }
  }
  const actorId = attempt(() => parseIdParameter(raw, 'actor'))
  const targetId = attempt(() => parseIdParameter(raw, 'target'))
  const action = attempt(() => {
    const value = readQueryValue(raw, 'action')
    if (value === undefined || value === '') return undefined
    if (!(AUDIT_ACTIONS as readonly string[]).includes(value)) {
      throw new ValidationError({
        action: [`Select a valid choice. Allowed: ${AUDIT_ACTIONS.join(', ')}.`],
      })
    }
    return value as AuditAction
  })
  const pageSize = attempt(() => parsePageSize(readQueryValue(raw, 'page_size')))
  const rawCursor = attempt(() => readQueryValue(raw, 'cursor'))
  const cursor = rawCursor
    ? (attempt(() => decodeCursor(rawCursor, AUDIT_ORDERING, dialect)) ?? null)
    : null
  if (Object.keys(errors).length > 0 || pageSize === undefined) throw new ValidationError(errors)
  return { actorId, targetId, action, cursor, pageSize }
}

/** Lists audit rows newest first, filtered, one keyset page at a time. */
export async function listAudit(
  handle: DatabaseHandle,
  query: AuditListQuery,
): Promise<Page<AuditEntry>> {
  const db = handle.db
  const filtered = () => {
    let q = db.selectFrom('cookiejwt_admin_audit')
    if (query.actorId !== undefined) q = q.where('actor_id', '=', query.actorId)
    if (query.targetId !== undefined) q = q.where('target_id', '=', query.targetId)
    if (query.action !== undefined) q = q.where('action', '=', query.action)
    return q
  }
  const page = await guard(() =>
    readPage(
      {
        fetch: async (where, order, limit) => {
          let q = filtered().selectAll()
          if (where) q = q.where(where)
          for (const term of order) q = q.orderBy(term)
          return q.limit(limit).execute()
        },
        count: async () =>
          Number(
            (
              await filtered()
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          ),
        positionOf: (row) => ({ key: Number(row.id), id: Number(row.id) }),
      },
      AUDIT_ORDERING,
      query.cursor,
      query.pageSize,
      handle.dialect,
    ),
  )
  return {
    ...page,
    results: page.results.map((row) => ({
      id: Number(row.id),
      createdAt: fromDbDate(row.created_at) ?? new Date(0),
      actor: { id: row.actor_id === null ? null : Number(row.actor_id), username: row.actor },
      action: row.action as AuditAction,
      target:
        row.target_id === null && row.target === ''
          ? null
          : { id: row.target_id === null ? null : Number(row.target_id), username: row.target },
      changes: parseChanges(row.changes),
      ip: row.ip,
      userAgent: row.user_agent,
    })),
  }
}

function parseChanges(text: string): Record<string, AuditChange> {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, AuditChange>)
      : {}
  } catch {
    return {}
  }
}

/** An audit entry on the wire (snake_case, ISO-8601 time). */
export function toWireAuditEntry(entry: AuditEntry): Record<string, unknown> {
  return {
    id: entry.id,
    created_at: entry.createdAt.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    changes: entry.changes,
    ip: entry.ip,
    user_agent: entry.userAgent,
  }
}
