import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { DatabaseHandle } from './handle.js'
import type { Database } from './schema.js'

/**
 * Opens a PostgreSQL pool of at most `max` connections for a `postgres://` URL, with timeouts so an outage fails
 * fast instead of hanging.
 */
export function openPostgres(url: string, options: { max: number }): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30000,
    statement_timeout: 10000,
    query_timeout: 10000,
  })
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    dialect: 'postgres',
    queryPostgres: async (text, values) => (await pool.query(text, values as unknown[])).rows,
    destroy: () => db.destroy(),
    ping: async () => {
      await sql`select 1`.execute(db)
    },
  }
}
