import { ValidationError } from '@cookiejwt/core'
import { sql, type RawBuilder, type SqlBool } from 'kysely'
import type { DialectName } from '../storage/db.js'

/** A column a list may be ordered by. */
export interface SortField {
  /** The column (and the name in `ordering=`). */
  readonly column: string
  /** Unique and not null: the column alone is the key; otherwise `(column, id)` is. */
  readonly unique: boolean
  readonly kind: 'integer' | 'text' | 'timestamp'
  readonly nullable: boolean
}

/** A chosen order: a field and a direction. */
export interface Ordering {
  /** As written in `ordering=`, e.g. `-date_joined`. */
  readonly name: string
  readonly field: SortField
  readonly descending: boolean
}

/** A decoded cursor: the sort key and id of a row, and which way from it to read. */
export interface Cursor {
  readonly key: string | number | null
  readonly id: number
  /** `next`: rows after the position; `previous`: rows before it. */
  readonly direction: 'next' | 'previous'
}

/** The largest page a list returns, whatever `page_size` asks for. */
export const MAX_PAGE_SIZE = 100
/** The page size when `page_size` is absent. */
export const DEFAULT_PAGE_SIZE = 25

const CURSOR_MAX = 1024
const KEY_TEXT_MAX = 300
const INVALID_CURSOR = 'Invalid cursor.'
// Timestamps as PostgreSQL prints `timestamptz::text` in its default ISO DateStyle.
const PG_TIMESTAMP =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d{1,6})?([+-]\d\d(?::\d\d){0,2})?$/

/**
 * Encodes a position as an opaque cursor: base64url of a small JSON object naming the ordering, so a cursor made
 * for one ordering is refused under another.
 */
export function encodeCursor(ordering: Ordering, cursor: Cursor): string {
  const body = {
    o: ordering.name,
    k: cursor.key,
    i: cursor.id,
    d: cursor.direction === 'next' ? 'n' : 'p',
  }
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url')
}

/**
 * Decodes and validates a cursor for `ordering`; anything malformed, tampered with or made for another ordering
 * throws `ValidationError({ cursor: ['Invalid cursor.'] })` (a 400), so no hostile value reaches the SQL.
 */
export function decodeCursor(raw: string, ordering: Ordering, dialect: DialectName): Cursor {
  if (raw.length === 0 || raw.length > CURSOR_MAX || !/^[A-Za-z0-9_-]+$/.test(raw))
    throw invalidCursor()
  const bytes = Buffer.from(raw, 'base64url')
  // One spelling per cursor: trailing bits or junk that base64url silently drops make it a different string.
  if (bytes.toString('base64url') !== raw) throw invalidCursor()
  let body: unknown
  try {
    body = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw invalidCursor()
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidCursor()
  const { o, k, i, d, ...rest } = body as Record<string, unknown>
  if (Object.keys(rest).length > 0 || o !== ordering.name || (d !== 'n' && d !== 'p'))
    throw invalidCursor()
  if (typeof i !== 'number' || !Number.isSafeInteger(i) || i <= 0) throw invalidCursor()
  if (!isValidKey(k, ordering.field, dialect, i)) throw invalidCursor()
  return { key: k as Cursor['key'], id: i, direction: d === 'n' ? 'next' : 'previous' }
}

function isValidKey(key: unknown, field: SortField, dialect: DialectName, id: number): boolean {
  if (key === null) return field.nullable
  switch (field.kind) {
    case 'integer':
      return key === id
    case 'text':
      return typeof key === 'string' && key.length <= KEY_TEXT_MAX && !key.includes('\u0000')
    case 'timestamp':
      if (dialect === 'sqlite') {
        // SQLite compares the stored text as it is; any short text is a harmless position.
        return (
          (typeof key === 'string' && key.length <= 64 && !key.includes('\u0000')) ||
          (typeof key === 'number' && Number.isFinite(key))
        )
      }
      // PostgreSQL casts the text back to a timestamp; a value it would refuse must be a 400 here, not a 503 there.
      return (
        typeof key === 'string' && (key === 'infinity' || key === '-infinity' || isPgTimestamp(key))
      )
  }
}

function isPgTimestamp(text: string): boolean {
  const m = PG_TIMESTAMP.exec(text)
  if (!m) return false
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60
  )
}

function invalidCursor(): ValidationError {
  return new ValidationError({ cursor: [INVALID_CURSOR] })
}

/**
 * The SQL expression whose value is a row's sort key, as the cursor carries it: the column, except PostgreSQL
 * timestamps, read as text so no microsecond is lost on the way through a JavaScript Date.
 */
export function sortKeyExpression(field: SortField, dialect: DialectName): RawBuilder<unknown> {
  if (field.kind === 'timestamp' && dialect === 'postgres')
    return sql`cast(${sql.ref(field.column)} as text)`
  return sql`${sql.ref(field.column)}`
}

/** `ORDER BY` terms reading in `descending` order; null sorts lowest on both dialects (as SQLite does natively). */
export function orderTerms(
  field: SortField,
  dialect: DialectName,
  descending: boolean,
): RawBuilder<unknown>[] {
  const dir = descending ? sql`desc` : sql`asc`
  const nulls =
    field.nullable && dialect === 'postgres'
      ? descending
        ? sql` nulls last`
        : sql` nulls first`
      : sql``
  const terms = [sql`${sql.ref(field.column)} ${dir}${nulls}`]
  if (!field.unique) terms.push(sql`${sql.ref('id')} ${dir}`)
  return terms
}

/**
 * The keyset condition "strictly after (key, id)" in the order `descending` reads. Row-value comparisons, so both
 * dialects seek the `(column, id)` index instead of scanning from the start.
 */
export function afterPosition(
  field: SortField,
  dialect: DialectName,
  descending: boolean,
  key: string | number | null,
  id: number,
): RawBuilder<SqlBool> {
  const col = sql.ref(field.column)
  const idRef = sql.ref('id')
  const op = sql.raw(descending ? '<' : '>')
  if (field.kind === 'integer' && field.unique) return sql<SqlBool>`${col} ${op} ${id}`
  if (key === null) {
    // Only nullable fields get here. Nulls sort lowest: ascending, every non-null row comes after them.
    return descending
      ? sql<SqlBool>`(${col} is null and ${idRef} < ${id})`
      : sql<SqlBool>`((${col} is null and ${idRef} > ${id}) or ${col} is not null)`
  }
  const value =
    field.kind === 'timestamp' && dialect === 'postgres'
      ? sql`cast(${key} as timestamptz)`
      : sql`${key}`
  if (field.unique) return sql<SqlBool>`${col} ${op} ${value}`
  const rowCompare = sql<SqlBool>`(${col}, ${idRef}) ${op} (${value}, ${id})`
  return field.nullable && descending ? sql<SqlBool>`(${rowCompare} or ${col} is null)` : rowCompare
}

/** Parses `page_size`: absent or empty means the default, above the maximum means the maximum, anything else a 400. */
export function parsePageSize(raw: unknown): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new ValidationError({ page_size: ['A positive integer is required.'] })
  }
  return Math.min(Number(raw), MAX_PAGE_SIZE)
}

/** One page of a keyset-paginated list, on the wire as `{count, next, previous, results}`. */
export interface Page<T> {
  readonly count: number
  readonly next: string | null
  readonly previous: string | null
  readonly results: T[]
}

/** A filtered list a page is read from; each method adds the keyset condition, order and limit to the same filters. */
export interface KeysetSource<Row> {
  fetch(
    where: RawBuilder<SqlBool> | null,
    order: RawBuilder<unknown>[],
    limit: number,
  ): Promise<Row[]>
  count(): Promise<number>
  /** The row's sort key (as `sortKeyExpression` reads it) and id. */
  positionOf(row: Row): { key: string | number | null; id: number }
}

/**
 * Reads one page at `cursor` (the first page when null): `pageSize` rows plus one to learn whether more follow, and
 * a one-row probe for the other side. A page read backwards is returned in the list's order. Rows inserted or
 * deleted meanwhile never make a later page repeat or skip a row that was there all along.
 */
export async function readPage<Row>(
  source: KeysetSource<Row>,
  ordering: Ordering,
  cursor: Cursor | null,
  pageSize: number,
  dialect: DialectName,
): Promise<Page<Row>> {
  const { field, descending } = ordering
  const after = (p: { key: string | number | null; id: number }, desc: boolean) =>
    afterPosition(field, dialect, desc, p.key, p.id)
  const at = (row: Row, direction: Cursor['direction']) =>
    encodeCursor(ordering, { ...source.positionOf(row), direction })
  const exists = async (where: RawBuilder<SqlBool>, desc: boolean) =>
    (await source.fetch(where, orderTerms(field, dialect, desc), 1)).length > 0
  const count = await source.count()
  let results: Row[]
  let next: string | null = null
  let previous: string | null = null
  if (cursor === null || cursor.direction === 'next') {
    const rows = await source.fetch(
      cursor ? after(cursor, descending) : null,
      orderTerms(field, dialect, descending),
      pageSize + 1,
    )
    results = rows.slice(0, pageSize)
    const first = results[0]
    const last = results.at(-1)
    if (rows.length > pageSize && last !== undefined) next = at(last, 'next')
    if (
      cursor &&
      first !== undefined &&
      (await exists(after(source.positionOf(first), !descending), !descending))
    ) {
      previous = at(first, 'previous')
    }
  } else {
    const rows = await source.fetch(
      after(cursor, !descending),
      orderTerms(field, dialect, !descending),
      pageSize + 1,
    )
    results = rows.slice(0, pageSize).reverse()
    const first = results[0]
    const last = results.at(-1)
    if (rows.length > pageSize && first !== undefined) previous = at(first, 'previous')
    if (
      last !== undefined &&
      (await exists(after(source.positionOf(last), descending), descending))
    )
      next = at(last, 'next')
  }
  return { count, next, previous, results }
}
