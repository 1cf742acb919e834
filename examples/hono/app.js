// The Hono example: cookiejwt's whole contract under /api/, one protected route of the app's own, and the demo
// single-page app when one is built. `createApp` is also what the contract tests run against.
import { readFile } from 'node:fs/promises'
import { join, normalize, sep } from 'node:path'
import { authenticate, cookiejwt, notFound, toServiceRequest } from '@cookiejwt/hono'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'

/** The Hono app over a cookiejwt service; `staticRoot` is a built single-page app to serve at `/`. */
export function createApp(service, { staticRoot = null } = {}) {
  const app = new Hono()
  app.use('*', cookiejwt(service))
  app.get('/api/hello/', authenticate(service), (c) => c.json({ hello: c.get('user').id }))
  app.all('/api/*', notFound(service))
  if (staticRoot) {
    app.use('*', async (c, next) => {
      const headers = service.appHeaders(toServiceRequest(c))
      await next()
      for (const [name, value] of Object.entries(headers)) c.header(name, value)
    })
    app.use('*', serveStatic({ root: staticRoot }))
    app.get('*', async (c) => {
      const index = normalize(join(staticRoot, 'index.html'))
      if (!index.startsWith(normalize(staticRoot) + sep)) return c.notFound()
      c.header('cache-control', 'no-cache')
      return c.html(await readFile(index, 'utf8'))
    })
  }
  return app
}
