/**
 * Storage tests run once per SQL dialect:
 *
 * ```ts
 * for (const dialect of TEST_DIALECTS) {
 *   describe(`users (${dialect})`, () => {
 *     let database: TestDatabase
 *     beforeEach(async () => { database = await openTestDatabase(dialect) })
 *     afterEach(() => database.destroy())
 *   })
 * }
 * ```
 *
 * `postgres` uses one throwaway server per test file (started on first use, stopped when the file's
 * process exits) and a fresh database per `openTestDatabase()` call. Both dialects always run;
 * `COOKIEJWT_TEST_DIALECTS=sqlite` narrows the list explicitly for a quick local run — never in CI.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, type DatabaseHandle, type DialectName } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { openRedisServices, type RedisServices } from '../../src/redis/services.js'
import { startPostgres, startRedis, type PostgresHandle, type ServiceHandle } from './index.js'

/** The dialects every storage test runs against. */
export const TEST_DIALECTS: readonly DialectName[] = selectDialects(process.env.COOKIEJWT_TEST_DIALECTS)

function selectDialects(value: string | undefined): DialectName[] {
  const all: DialectName[] = ['sqlite', 'postgres']
  if (!value) return all
  if (process.env.CI === 'true') {
    throw new Error('COOKIEJWT_TEST_DIALECTS must not be set under CI=true: CI runs every dialect')
  }
  const chosen = value.split(',').map((s) => s.trim())
  for (const d of chosen) {
    if (!all.includes(d as DialectName)) throw new Error(`COOKIEJWT_TEST_DIALECTS: unknown dialect "${d}"`)
  }
  return chosen as DialectName[]
}

/** An open, migrated, empty test database and its `DATABASE_URL`. */
export interface TestDatabase extends DatabaseHandle {
  readonly url: string
}

let sharedServer: Promise<PostgresHandle> | null = null

/** The PostgreSQL server shared by this test file (started on first call). */
export function sharedPostgres(): Promise<PostgresHandle> {
  sharedServer ??= startPostgres()
  return sharedServer
}

/**
 * Opens a fresh, empty database of `dialect` (migrated unless `migrate: false`): a temp SQLite
 * file, or a new database on the file's shared PostgreSQL server. `destroy()` closes it and
 * removes the SQLite file.
 */
export async function openTestDatabase(
  dialect: DialectName,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  let url: string
  let cleanup = (): void => {}
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-sqlite-'))
    url = `sqlite:${join(dir, 'db.sqlite3')}`
    cleanup = () => rmSync(dir, { recursive: true, force: true })
  } else {
    url = await (await sharedPostgres()).createDatabase()
  }
  const handle = await openDatabase(url)
  if (options.migrate ?? true) {
    const { error } = await migrateToLatest(handle)
    if (error) {
      await handle.destroy()
      cleanup()
      throw error
    }
  }
  // Everything the handle has, the hot-path lookups of each dialect included (prepareSqlite, sqliteGeneration,
  // queryPostgres): the stores under test take the paths they take in production.
  return {
    ...handle,
    url,
    async destroy() {
      await handle.destroy()
      cleanup()
    },
  }
}

/**
 * The backend the HTTP-level tests (`startTestServer`) run on: SQLite by default;
 * `COOKIEJWT_TEST_BACKEND=postgres` runs them on PostgreSQL with Redis for throttling and
 * revocations (CI does both).
 */
export const TEST_BACKEND: 'sqlite' | 'postgres' =
  process.env.COOKIEJWT_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite'

let sharedRedisServer: Promise<ServiceHandle> | null = null
let backendCounter = 0

/** What `openTestBackend()` gives a test server besides its database. */
export interface TestBackend {
  readonly database: TestDatabase
  /** `AppDeps` to spread into `buildApp`: the Redis stores and health check. */
  readonly deps: Pick<RedisServices, 'throttleStore' | 'revocationCache' | 'healthChecks'>
  /** Closes the Redis connection (the app closes the database). */
  close(): Promise<void>
}

/**
 * Opens a fresh migrated PostgreSQL database and Redis stores (own key prefix) when
 * `TEST_BACKEND` is `postgres`; returns null for SQLite, where the caller opens its own file.
 */
export async function openTestBackend(): Promise<TestBackend | null> {
  if (TEST_BACKEND === 'sqlite') return null
  sharedRedisServer ??= startRedis()
  const [database, redis] = await Promise.all([openTestDatabase('postgres'), sharedRedisServer])
  const services = openRedisServices(redis.url, { keyPrefix: `test${process.pid}_${++backendCounter}:` })
  return {
    database,
    deps: {
      throttleStore: services.throttleStore,
      revocationCache: services.revocationCache,
      healthChecks: services.healthChecks,
    },
    close: () => services.close(),
  }
}
