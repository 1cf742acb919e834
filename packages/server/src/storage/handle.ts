import type SQLite from 'better-sqlite3'
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

/** The SQL dialects cookiejwt runs on. */
export type DialectName = 'sqlite' | 'postgres'

/** An open database: the Kysely instance and what it runs on. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>
  readonly dialect: DialectName
  /** Closes every connection. */
  destroy(): Promise<void>
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>
  /**
   * SQLite only: a cached prepared statement, for the per-request lookups where Kysely's query building and async
   * driver cost more than the query itself. Throws once the database is closed.
   */
  readonly prepareSqlite?: (source: string) => SQLite.Statement
  /**
   * SQLite only: resolves with a number that stays the same for as long as the database is unchanged, by this
   * connection or any other (another process, the `sqlite3` shell), and grows when anything may have changed; null
   * inside a transaction, when nothing read may be remembered. Caches of rows are valid while it stays the same. It
   * is read after the call (callers of one event-loop turn share the read), so it reflects every commit made before
   * the call; a row read synchronously in the `then` callback is consistent with it.
   */
  readonly sqliteGeneration?: () => Promise<number | null>
  /**
   * PostgreSQL only: runs one parameterised statement (`$1`, `$2`…) on the pool and resolves with its rows, for the
   * per-request lookups where Kysely's query building costs about as much as the round trip. An unnamed statement,
   * so connection poolers in transaction mode (PgBouncer) are fine.
   */
  readonly queryPostgres?: (
    text: string,
    values: readonly unknown[],
  ) => Promise<Record<string, unknown>[]>
}
