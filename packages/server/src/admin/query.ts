import { ValidationError } from '@cookiejwt/core'

/** A query string as adapters parse it: a parameter given twice may arrive as an array. */
export type RawQuery = Readonly<Record<string, unknown>>

/**
 * One query parameter as a string, or undefined when absent. A repeated parameter or a non-string value is a 400
 * naming it: `?is_active=true&is_active=false` has no single meaning.
 */
export function readQueryValue(query: RawQuery, name: string): string | undefined {
  if (!Object.hasOwn(query, name)) return undefined
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string')
    throw new ValidationError({ [name]: ['Give this parameter once.'] })
  return value
}

/** Parses a positive integer id (`actor=`, `target=`); throws a 400 naming the parameter otherwise. */
export function parseIdParameter(query: RawQuery, name: string): number | undefined {
  const value = readQueryValue(query, name)
  if (value === undefined || value === '') return undefined
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new ValidationError({ [name]: ['A valid user id (a positive integer) is required.'] })
  }
  return Number(value)
}
