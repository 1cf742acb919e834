import {
  AuthError,
  DuplicateUserError,
  ServiceUnavailableError,
  ValidationError,
} from '@cookiejwt/core'
import { sql, type Kysely } from 'kysely'
import type { DatabaseHandle } from '../storage/db.js'
import type { Database } from '../storage/schema.js'

// pg_advisory_xact_lock key of admin writes: "cjwadmin" as a bigint.
const ADMIN_LOCK = 0x636a7761646d696en

/**
 * Runs `work` in one write transaction that admin changes take one at a time, on every process: SQLite's
 * `BEGIN IMMEDIATE` (the write lock from the start, waiting out the busy timeout, so a check and the write it
 * allows cannot interleave with another writer), PostgreSQL's transaction-scoped advisory lock. Statements in a
 * PostgreSQL READ COMMITTED transaction see what others committed before them, so a count taken under the lock is
 * current. A throw rolls everything back; rule and validation errors pass through, driver failures become 503.
 */
export async function adminTransaction<T>(
  handle: DatabaseHandle,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  try {
    if (handle.dialect === 'postgres') {
      return await handle.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(cast(${ADMIN_LOCK.toString()} as bigint))`.execute(
          trx,
        )
        return work(trx)
      })
    }
    // Kysely's SQLite driver hands out its one connection exclusively, so nothing else of this process runs
    // Kysely statements in between (the cached read-only user lookups may still read through it).
    return await handle.db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection)
      try {
        const result = await work(connection)
        await sql`commit`.execute(connection)
        return result
      } catch (error) {
        await sql`rollback`.execute(connection).catch(() => {})
        throw error
      }
    })
  } catch (error) {
    if (isPassThrough(error)) throw error
    throw new ServiceUnavailableError(undefined, { cause: error })
  }
}

function isPassThrough(error: unknown): boolean {
  return (
    error instanceof AuthError ||
    error instanceof ValidationError ||
    error instanceof DuplicateUserError ||
    error instanceof ServiceUnavailableError
  )
}
