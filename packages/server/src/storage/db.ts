import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import { ImproperlyConfigured } from '@cookiejwt/core'
import { perTurn } from '../per-turn.js'
import type { DatabaseHandle } from './handle.js'
import type { Database } from './schema.js'

export type { DatabaseHandle, DialectName } from './handle.js'

/** Default SQLite file, relative to the working directory. */
export const DEFAULT_DATABASE_URL = 'sqlite:data/db.sqlite3'

/** Connections a PostgreSQL pool opens at most, per process (`COOKIEJWT_DB_POOL_MAX`). */
export const DEFAULT_DB_POOL_MAX = 10
/**
 * Largest accepted pool size. PostgreSQL's own `max_connections` defaults to 100 and is shared by every process and
 * worker; a pool above this bound is a typo, not a tuning choice.
 */
export const MAX_DB_POOL_MAX = 1000

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Folder a relative `sqlite:` path is resolved against. @default process.cwd() */
  cwd?: string
  /** PostgreSQL only: most connections the pool opens (1–1000); SQLite uses one connection. @default 10 */
  poolMax?: number
}

/** Checks a pool size: a whole number from 1 to {@link MAX_DB_POOL_MAX}; throws `ImproperlyConfigured` naming `key`. */
export function checkPoolMax(value: unknown, key = 'poolMax'): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 1 ||
    value > MAX_DB_POOL_MAX
  ) {
    throw new ImproperlyConfigured(
      `${key} must be a whole number from 1 to ${MAX_DB_POOL_MAX} (got ${JSON.stringify(value)})`,
    )
  }
  return value
}

/**
 * Opens the database a `DATABASE_URL` names: `sqlite:<path>` (relative to `cwd` or absolute; `sqlite::memory:` for
 * tests) or `postgres://…` (see `openPostgres`; a pool of `poolMax` connections). Throws `ImproperlyConfigured` for
 * anything else and for a bad `poolMax`.
 */
export async function openDatabase(
  url: string,
  options: OpenDatabaseOptions = {},
): Promise<DatabaseHandle> {
  const poolMax = checkPoolMax(options.poolMax ?? DEFAULT_DB_POOL_MAX)
  if (url.startsWith('sqlite:'))
    return openSqlite(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''), options.cwd)
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgres } = await import('./postgres.js')
    return openPostgres(url, { max: poolMax })
  }
  throw new ImproperlyConfigured(
    `DATABASE_URL must start with sqlite: or postgres:// (got "${url.split(':')[0]}:…")`,
  )
}

function openSqlite(path: string, cwd = process.cwd()): DatabaseHandle {
  if (path === '')
    throw new ImproperlyConfigured(
      'DATABASE_URL sqlite: needs a file path, e.g. sqlite:data/db.sqlite3',
    )
  const file = path === ':memory:' ? path : resolve(cwd, path)
  const created = file !== ':memory:' && !existsSync(file)
  // The database holds password hashes: a folder and file we create are readable by their owner only.
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const sqlite = new SQLite(file, { timeout: 5000 })
  // SQLite gives the -wal and -shm files the main file's permissions, so this comes before WAL mode.
  if (created) chmodSync(file, 0o600)
  // WAL lets readers run beside the writer; NORMAL is durable across application crashes in WAL mode.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  const cached = withStatementCache(sqlite)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached }) })
  return {
    prepareSqlite: (source) => {
      if (!sqlite.open) throw new Error('the database connection is not open')
      return cached.prepare(source)
    },
    sqliteGeneration: generationOf(sqlite),
    db,
    dialect: 'sqlite',
    destroy: () => db.destroy(),
    ping: async () => {
      await sql`select 1`.execute(db)
    },
  }
}

/**
 * The change generation of a SQLite connection (see `DatabaseHandle.sqliteGeneration`). SQLite's `data_version`
 * changes when another connection — in this process or any other — commits, and `total_changes()` counts the rows
 * this connection changed; the generation moves on when either moved since the last read.
 *
 * Reading `data_version` opens and closes a read transaction: two `fcntl` locks and a `stat`, 4–6 µs per request
 * under load on a VM, a fifth of a cached `GET /api/auth/me/`. So the callers of one turn of the event loop share
 * one read, taken in the turn's check phase (`setImmediate`), after the poll phase has read every request of the
 * turn from its socket. Each caller still gets a read made after it asked: a change committed before a request was
 * sent is seen by that request, as with a read per call. Under 50 keep-alive clients one read serves about 45
 * lookups (measured: 25 → 19 µs of CPU per request).
 */
function generationOf(sqlite: SQLite.Database): () => Promise<number | null> {
  let dataVersion: SQLite.Statement | null = null
  let totalChanges: SQLite.Statement | null = null
  let lastVersion: unknown = null
  let lastChanges: unknown = null
  let generation = 0
  const read = (): number | null => {
    // Rows read inside a transaction may be rolled back: never remembered.
    if (!sqlite.open || sqlite.inTransaction) return null
    dataVersion ??= sqlite.prepare('pragma data_version').pluck()
    totalChanges ??= sqlite.prepare('select total_changes()').pluck()
    const version = dataVersion.get()
    const changes = totalChanges.get()
    if (version !== lastVersion || changes !== lastChanges) {
      lastVersion = version
      lastChanges = changes
      generation += 1
    }
    return generation
  }
  // One read for every caller of the turn (per-turn.ts).
  const shared = perTurn<void, number | null>((calls) => {
    const current = read()
    return calls.map(() => current)
  })
  return () => shared()
}

/** Most distinct SQL texts whose prepared statements are kept; cookiejwt issues a few dozen. */
const STATEMENT_CACHE_SIZE = 500

/**
 * Kysely prepares every query anew, and with better-sqlite3 preparing costs more than running a primary-key lookup
 * (measured: findById 400–650 µs → 51 µs under load). Statements are reusable and the driver is synchronous, so one
 * prepared statement per SQL text is safe; Kysely never streams here.
 */
function withStatementCache(sqlite: SQLite.Database): Pick<SQLite.Database, 'prepare' | 'close'> {
  const statements = new Map<string, SQLite.Statement>()
  return {
    close: () => sqlite.close(),
    prepare: ((source: string) => {
      let statement = statements.get(source)
      if (!statement) {
        statement = sqlite.prepare(source)
        if (statements.size >= STATEMENT_CACHE_SIZE)
          statements.delete(statements.keys().next().value as string)
        statements.set(source, statement)
      }
      return statement
    }) as SQLite.Database['prepare'],
  }
}
