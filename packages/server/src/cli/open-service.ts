import { ImproperlyConfigured } from '@cookiejwt/core'
import { pino, type Logger } from 'pino'
import {
  migrateSharedDjangoDatabase,
  prepareSharedDjangoDatabase,
} from '../django/shared-database.js'
import { createService, type CookiejwtService, type ServiceOptions } from '../service/service.js'
import { openDatabase } from '../storage/db.js'
import { migrateToLatest, pendingMigrations } from '../storage/migrate.js'
import { loadConfig, type CliConfig } from './config.js'

/** A service built from the environment, as `cookiejwt serve` and the adapters' example apps run it. */
export interface EnvService {
  readonly service: CookiejwtService
  readonly config: CliConfig
  readonly logger: Logger
  /** Closes Redis (if any) and the database. */
  close(): Promise<void>
}

/** Options of `createServiceFromEnv`. */
export interface EnvServiceOptions {
  /** Apply pending migrations first (`serve --migrate`). @default false */
  migrate?: boolean
  /** The logger; default: pino at `LOG_LEVEL` (info) on stdout. */
  logger?: Logger
  /** More service options (extra routes, a clock for tests). */
  service?: Omit<ServiceOptions, 'database'>
}

/**
 * Builds the cookiejwt service from environment variables — `DATABASE_URL`, `REDIS_URL`, `COOKIEJWT_*` (see the
 * README's configuration table) — exactly as `cookiejwt serve` does, so an Express, Hono or Next.js app configured
 * the same way behaves the same. Throws `ImproperlyConfigured` naming the bad variable.
 * @example
 * const { service, config } = await createServiceFromEnv(process.env)
 */
export async function createServiceFromEnv(
  env: NodeJS.ProcessEnv,
  options: EnvServiceOptions = {},
): Promise<EnvService> {
  const config = loadConfig(env)
  const logger = options.logger ?? pino({ level: env.LOG_LEVEL ?? 'info' })
  // REDIS_URL: throttling counters and the revocation cache shared by every process (else the database).
  const redisUrl = env.REDIS_URL || null
  // ioredis loads only when Redis is configured (start-up time).
  const redisModule = redisUrl !== null ? await import('../redis/services.js') : null
  if (redisUrl !== null && !redisModule?.isRedisUrl(redisUrl))
    throw new ImproperlyConfigured('REDIS_URL must start with redis:// or rediss://')
  const database = await openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax })
  try {
    // COOKIEJWT_DJANGO_DATABASE=shared: check Django's schema; migrations then add only cookiejwt_* tables.
    const { userTable } = config.settings
    const shared = await prepareSharedDjangoDatabase(env, database, userTable)
    if (options.migrate) {
      const { error } = await (shared ? migrateSharedDjangoDatabase : migrateToLatest)(
        database,
        userTable,
      )
      if (error)
        throw new ImproperlyConfigured(
          `migrate failed: ${(error as Error).message ?? String(error)}`,
        )
    } else {
      const pending = await pendingMigrations(database).catch(() => [])
      if (pending.length > 0)
        logger.warn(`${pending.length} migration(s) not applied; run \`npx cookiejwt migrate\``)
    }
  } catch (error) {
    await database.destroy()
    throw error
  }
  let lastRedisWarning = 0
  // Redis connects lazily: the server starts while Redis is down, answers 503 where it is needed, and recovers.
  const redis =
    redisUrl && redisModule
      ? redisModule.openRedisServices(redisUrl, {
          onError: (error) => {
            // One line per 30 s at most: a reconnect loop must not flood the log. The message has no URL.
            if (Date.now() - lastRedisWarning < 30_000) return
            lastRedisWarning = Date.now()
            logger.warn(`${error.message} (retrying in the background)`)
          },
        })
      : null
  // createService checks the user table against settings.userTable; on any failure nothing is left open.
  const service = await createService(config.settings, {
    ...options.service,
    database,
    logger,
    ...(redis
      ? {
          throttleStore: redis.throttleStore,
          revocationCache: redis.revocationCache,
          healthChecks: { ...redis.healthChecks, ...options.service?.healthChecks },
        }
      : {}),
  }).catch(async (error: unknown) => {
    await redis?.close()
    await database.destroy()
    throw error
  })
  if (config.keyNotice) logger.warn(config.keyNotice)
  return {
    service,
    config,
    logger,
    async close() {
      await redis?.close()
      await service.close()
    },
  }
}
