import { ServiceUnavailableError } from '@cookiejwt/core'

/**
 * Runs a storage operation, turning driver failures (connection refused, locked, timeouts) into
 * `ServiceUnavailableError` so the API answers 503 and never leaks SQL or paths.
 */
export async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (error instanceof ServiceUnavailableError) throw error
    throw new ServiceUnavailableError(undefined, { cause: error })
  }
}

/** Whether a driver error is a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === '23505'
}
