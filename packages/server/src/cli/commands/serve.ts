import cluster from 'node:cluster'
import { createServer } from 'node:http'
import { ImproperlyConfigured } from '@cookiejwt/core'
import { createNodeHandler } from '../../node.js'
import { CommandError, type Command } from '../command.js'
import { untilConnectionsMayClose } from '../cluster-drain.js'
import { drainOnSignal, makeGraceful } from '../graceful.js'
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
    // The node:http adapter: nothing between the socket and the service (the hot path at the floor).
    const server = createServer(
      { keepAliveTimeout: 72_000 },
      createNodeHandler(service, { staticRoot: config.staticRoot }),
    )
    // Tracks every connection from the first one on, so a drain knows the idle ones too.
    const timeoutMs = config.settings.shutdownTimeout * 1000
    const graceful = makeGraceful(server, {
      timeoutMs,
      log: logger,
      // Under --workers: wait until the other workers stopped accepting too (see cluster-drain.ts).
      beforeClosingConnections: () => untilConnectionsMayClose(Math.min(2000, timeoutMs / 4)),
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        const address = server.address()
        logger.info(
          `Server listening at http://${host}:${typeof address === 'object' && address ? address.port : port}`,
        )
        resolve()
      })
    }).catch(async (error: unknown) => {
      await opened.close()
      throw error
    })
    // SIGTERM/SIGINT: answer what arrives on open connections (with Connection: close), close them, then run
    // onClose (the service: database pool, Redis); exit 1 if that took longer than shutdownTimeout.
    // A single process has no one to restart it in place: SIGHUP (Node would die at once) drains it like SIGTERM.
    // Under --workers the primary handles SIGHUP and a worker ignores it (see workers.ts).
    const signals: NodeJS.Signals[] = cluster.isWorker
      ? ['SIGTERM', 'SIGINT']
      : ['SIGTERM', 'SIGINT', 'SIGHUP']
    return drainOnSignal(graceful, { log: logger, onClosed: () => opened.close(), signals })
  },
}
