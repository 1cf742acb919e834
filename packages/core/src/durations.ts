import { ImproperlyConfigured } from './errors.js'

/** A duration in whole seconds, or a string such as `'90s'`, `'5m'`, `'12h'`, `'1d'`, `'2w'`. */
export type Duration = number | string

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }
const PATTERN = /^(\d+)\s*(s|m|h|d|w)?$/

/** Converts a {@link Duration} to whole seconds; throws `ImproperlyConfigured` naming `setting` when invalid. */
export function toSeconds(value: Duration, setting: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value
  } else if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim())
    if (match) {
      const seconds = Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1)
      if (Number.isSafeInteger(seconds)) return seconds
    }
  }
  throw new ImproperlyConfigured(
    `"${setting}" must be a whole number of seconds or a string like '5m', '1d' (got ${JSON.stringify(value)})`,
  )
}
