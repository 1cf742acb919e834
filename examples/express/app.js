// The Express example: cookiejwt's whole contract under /api/, one protected route of the app's own, and the demo
// single-page app when one is built. `createApp` is also what the contract tests run against.
import { join } from 'node:path'
import { authenticate, cookiejwtRouter, notFound, toServiceRequest } from '@cookiejwt/express'
import express from 'express'

/** The Express app over a cookiejwt service; `staticRoot` is a built single-page app to serve at `/`. */
export function createApp(service, { staticRoot = null } = {}) {
  const app = express()
  app.disable('x-powered-by')
  app.use(cookiejwtRouter(service)) // before any body parser: cookiejwt reads its own bodies
  app.get('/api/hello/', authenticate(service), (req, res) => res.json({ hello: req.user.id }))
  app.use('/api', notFound(service))
  if (staticRoot) {
    app.use((req, res, next) => (res.set(service.appHeaders(toServiceRequest(req))), next()))
    app.use(express.static(staticRoot, { index: 'index.html' }))
    app.get('/{*path}', (req, res) => res.set('cache-control', 'no-cache').sendFile(join(staticRoot, 'index.html')))
  }
  return app
}
