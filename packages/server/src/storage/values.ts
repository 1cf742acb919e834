import type { DialectName } from './db.js'

/** A Date as the dialect stores it: Django's SQLite text layout (UTC, microseconds) or a Date for PostgreSQL. */
export function toDbDate(dialect: DialectName, date: Date): Date | string {
  if (dialect === 'postgres') return date
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${String(date.getUTCMilliseconds()).padStart(3, '0')}000`
}

/** Reads a stored timestamp back into a Date (SQLite text is UTC, as Django writes it with USE_TZ). */
export function fromDbDate(value: Date | string | null): Date | null {
  if (value === null) return null
  if (value instanceof Date) return value
  const text = value.includes('T') ? value : value.replace(' ', 'T')
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`)
  return Number.isNaN(date.getTime()) ? null : date
}

/** A boolean as the dialect stores it. */
export function toDbBool(dialect: DialectName, value: boolean): boolean | number {
  return dialect === 'postgres' ? value : value ? 1 : 0
}
