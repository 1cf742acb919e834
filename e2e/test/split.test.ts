import { rm } from 'node:fs/promises'
import { buildWebFor, freePort, startApiServer, startStaticServer } from './harness.js'
import { describeSetUp } from './scenarios.js'

const ACCESS_LIFETIME = 2

// The seed's split set-up (React dev server on localhost:3000, API on localhost:8000), on free ports: the app
// on http://localhost:<A>, built with VITE_API_URL=http://localhost:<B>, CORS with credentials between them.
describeSetUp('split', { accessLifetime: ACCESS_LIFETIME }, async () => {
  const apiPort = await freePort()
  const apiUrl = `http://localhost:${apiPort}`
  const dist = await buildWebFor(apiUrl)
  const app = await startStaticServer(dist)
  const api = await startApiServer({
    port: apiPort,
    env: {
      COOKIEJWT_ACCESS_TOKEN_LIFETIME: String(ACCESS_LIFETIME),
      COOKIEJWT_CORS_ALLOWED_ORIGINS: app.url,
    },
  })
  return {
    appUrl: app.url,
    apiUrl,
    async stop() {
      await Promise.allSettled([api.stop(), app.stop()])
      await rm(dist, { recursive: true, force: true })
    },
  }
})
