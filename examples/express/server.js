// `npm start -w examples/express`: the same environment variables as `cookiejwt serve` (run `cookiejwt migrate` first).
import { createServiceFromEnv } from '@cookiejwt/server'
import { createApp } from './app.js'

// `npm start -w examples/express` runs in this folder; relative paths (sqlite:data/db.sqlite3, the data folder with the
// signing key) resolve where npm was invoked, as they do for `npx cookiejwt migrate` and `cookiejwt serve`.
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD)
const { service, config, logger, close } = await createServiceFromEnv(process.env)
const server = createApp(service, { staticRoot: config.staticRoot }).listen(config.port, config.host, () => {
  logger.info(`cookiejwt (Express) listening on http://${config.host}:${server.address().port}`)
})
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => close().then(() => process.exit(0)))
    server.closeIdleConnections()
  })
}
