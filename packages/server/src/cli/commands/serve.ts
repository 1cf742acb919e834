import { buildApp } from '../../app.js'
import { migrateSharedDjangoDatabase, prepareSharedDjangoDatabase } from '../../django/shared-database.js'
import { openDatabase } from '../../storage/db.js'
import { migrateToLatest, pendingMigrations } from '../../storage/migrate.js'
import { CommandError, type Command } from '../command.js'
import { loadConfig } from '../config.js'
import { makeDrainable } from '../graceful.js'

/** `cookiejwt serve`: runs the API (and the built web app) until SIGTERM/SIGINT, then shuts down cleanly. */
export const serve: Command = {
  name: 'serve',
  summary: 'run the server (what `npm start` runs)',
  usage: 'cookiejwt serve [--migrate] [--host H] [--port P]',
  options: { migrate: { type: 'boolean' }, host: { type: 'string' }, port: { type: 'string' } },
  async run(context) {
    const config = loadConfig(context.env)
    const host = (context.values.host as string | undefined) ?? config.host
    const port = Number((context.values.port as string | undefined) ?? config.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CommandError(`--port must be a port number`)
    // REDIS_URL: throttling counters and the revocation cache shared by every process (else the database).
    const redisUrl = context.env.REDIS_URL || null
    // ioredis loads only when Redis is configured (start-up time).
    const redisModule = redisUrl !== null ? await import('../../redis/services.js') : null
    if (redisUrl !== null && !redisModule?.isRedisUrl(redisUrl)) throw new CommandError('REDIS_URL must start with redis:// or rediss://')
    const database = await openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax })
    // COOKIEJWT_DJANGO_DATABASE=shared: check Django's schema; migrations then add only cookiejwt_* tables.
    const shared = await prepareSharedDjangoDatabase(context.env, database).catch(async (error: unknown) => {
      await database.destroy()
      throw error
    })
    if (context.values.migrate) {
      const { error } = await (shared ? migrateSharedDjangoDatabase : migrateToLatest)(database)
      if (error) {
        await database.destroy()
        throw new CommandError(`migrate failed: ${(error as Error).message ?? String(error)}`)
      }
    } else {
      const pending = await pendingMigrations(database).catch(() => [])
      if (pending.length > 0) {
        context.stderr.write(`warning: ${pending.length} migration(s) not applied; run \`npx cookiejwt migrate\`\n`)
      }
    }
    // Redis connects lazily: the server starts while Redis is down, answers 503 where it is needed, and recovers.
    let warn: (message: string) => void = (message) => context.stderr.write(`${message}\n`)
    let lastRedisWarning = 0
    const redis = redisUrl && redisModule
      ? redisModule.openRedisServices(redisUrl, {
          onError: (error) => {
            // One line per 30 s at most: a reconnect loop must not flood the log. The message has no URL.
            if (Date.now() - lastRedisWarning < 30_000) return
            lastRedisWarning = Date.now()
            warn(`${error.message} (retrying in the background)`)
          },
        })
      : null
    const app = await buildApp(config.settings, {
      database,
      staticRoot: config.staticRoot,
      trustProxy: config.trustProxy,
      logger: { level: context.env.LOG_LEVEL ?? 'info' },
      ...(redis
        ? { throttleStore: redis.throttleStore, revocationCache: redis.revocationCache, healthChecks: redis.healthChecks }
        : {}),
    })
    if (redis) {
      warn = (message) => app.log.warn(message)
      app.addHook('onClose', () => redis.close())
    }
    if (config.keyNotice) app.log.warn(config.keyNotice)
    await app.listen({ host, port })
    const drainable = makeDrainable(app)

    return new Promise<number>((resolve) => {
      let stopping = false
      const stop = (signal: string) => {
        if (stopping) return
        stopping = true
        app.log.info(`${signal} received: finishing in-flight requests, then closing`)
        // Fastify stops accepting, lets in-flight requests finish, then runs onClose (closes the database).
        const force = setTimeout(() => resolve(1), 10_000)
        force.unref()
        drainable.close().then(
          () => resolve(0),
          () => resolve(1),
        )
      }
      process.once('SIGTERM', () => stop('SIGTERM'))
      process.once('SIGINT', () => stop('SIGINT'))
    })
  },
}
