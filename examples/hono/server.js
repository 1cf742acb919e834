// `npm start -w examples/hono`: the same environment variables as `cookiejwt serve` (run `cookiejwt migrate` first).
import { serve } from '@hono/node-server'
import { createServiceFromEnv } from '@cookiejwt/server'
import { createApp } from './app.js'

// `npm start -w examples/hono` runs in this folder; relative paths (sqlite:data/db.sqlite3, the data folder with the
// signing key) resolve where npm was invoked, as they do for `npx cookiejwt migrate` and `cookiejwt serve`.
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD)
const { service, config, logger, close } = await createServiceFromEnv(process.env)
const app = createApp(service, { staticRoot: config.staticRoot })
const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
  logger.info(`cookiejwt (Hono) listening on http://${config.host}:${info.port}`)
})
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => close().then(() => process.exit(0)))
    server.closeIdleConnections?.()
  })
}
