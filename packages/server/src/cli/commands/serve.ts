import { buildApp } from '../../app.js'
import { prepareSharedDjangoDatabase } from '../../django/shared-database.js'
import { openDatabase } from '../../storage/db.js'
import { migrateToLatest, pendingMigrations } from '../../storage/migrate.js'
import { CommandError, type Command } from '../command.js'
import { loadConfig } from '../config.js'

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
    const database = await openDatabase(config.databaseUrl)
    // COOKIEJWT_DJANGO_DATABASE=shared: Django owns the schema; check it, never migrate it.
    const shared = await prepareSharedDjangoDatabase(context.env, database).catch(async (error: unknown) => {
      await database.destroy()
      throw error
    })
    if (shared) {
      // nothing to migrate
    } else if (context.values.migrate) {
      const { error } = await migrateToLatest(database)
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
    const app = await buildApp(config.settings, {
      database,
      staticRoot: config.staticRoot,
      trustProxy: config.trustProxy,
      logger: { level: context.env.LOG_LEVEL ?? 'info' },
    })
    if (config.keyNotice) app.log.warn(config.keyNotice)
    await app.listen({ host, port })

    return new Promise<number>((resolve) => {
      let stopping = false
      const stop = (signal: string) => {
        if (stopping) return
        stopping = true
        app.log.info(`${signal} received: finishing in-flight requests, then closing`)
        // Fastify stops accepting, lets in-flight requests finish, then runs onClose (closes the database).
        const force = setTimeout(() => resolve(1), 10_000)
        force.unref()
        app.close().then(
          () => resolve(0),
          () => resolve(1),
        )
      }
      process.once('SIGTERM', () => stop('SIGTERM'))
      process.once('SIGINT', () => stop('SIGINT'))
    })
  },
}
