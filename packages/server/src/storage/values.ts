import type { DialectName } from './db.js'

/** A Date as the dialect stores it: Django's SQLite text layout (UTC, microseconds) or a Date for PostgreSQL. */
export function toDbDate(dialect: DialectName, date: Date): Date | string {
  if (dialect === 'postgres') return date
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${String(date.getUTCMilliseconds()).padStart(3, '0')}000`
}

/**
 * Reads a stored timestamp back into a Date (SQLite text is UTC, as Django writes it with USE_TZ). A number — an
 * application's own table on SQLite may keep Unix time — is seconds below 10^11, else milliseconds.
 */
export function fromDbDate(value: Date | string | number | bigint | null | undefined): Date | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value
  if (typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value)
    const date = new Date(Math.abs(n) < 1e11 ? n * 1000 : n)
    return Number.isNaN(date.getTime()) ? null : date
  }
  const text = value.includes('T') ? value : value.replace(' ', 'T')
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`)
  return Number.isNaN(date.getTime()) ? null : date
}

/** A boolean as the dialect stores it. */
export function toDbBool(dialect: DialectName, value: boolean): boolean | number {
  return dialect === 'postgres' ? value : value ? 1 : 0
}
