import { ImproperlyConfigured } from '@cookiejwt/core'
import { buildApp } from '../../app.js'
import { CommandError, type Command } from '../command.js'
import { makeDrainable } from '../graceful.js'
import { createServiceFromEnv } from '../open-service.js'

/** `cookiejwt serve`: runs the API (and the built web app) until SIGTERM/SIGINT, then shuts down cleanly. */
export const serve: Command = {
  name: 'serve',
  summary: 'run the server (what `npm start` runs)',
  usage: 'cookiejwt serve [--migrate] [--host H] [--port P]',
  options: { migrate: { type: 'boolean' }, host: { type: 'string' }, port: { type: 'string' } },
  async run(context) {
    let opened
    try {
      opened = await createServiceFromEnv(context.env, { migrate: Boolean(context.values.migrate) })
    } catch (error) {
      if (error instanceof ImproperlyConfigured) throw new CommandError(error.message)
      throw error
    }
    const { service, config, logger } = opened
    const host = (context.values.host as string | undefined) ?? config.host
    const port = Number((context.values.port as string | undefined) ?? config.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      await opened.close()
      throw new CommandError(`--port must be a port number`)
    }
    const app = await buildApp(config.settings, { database: service.deps.database, service, staticRoot: config.staticRoot, loggerInstance: logger })
    app.addHook('onClose', () => opened.close())
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
