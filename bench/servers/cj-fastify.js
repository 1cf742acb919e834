// The Fastify adapter (`buildApp` of @cookiejwt/server) over the service built from the environment, as
// `cookiejwt serve` configures it; the Express and Hono rows run their example apps the same way.
import { buildApp, createServiceFromEnv } from '@cookiejwt/server'

const { service, config, logger } = await createServiceFromEnv(process.env)
const app = await buildApp(config.settings, { service, loggerInstance: logger, staticRoot: null })
await app.listen({ port: config.port, host: config.host })
process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0))
})
