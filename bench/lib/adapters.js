// Issue 14's adapter rows: each adapter's cookie-authenticated GET /api/auth/me/ (user from SQLite, the same
// environment as `cookiejwt serve`) beside the bare framework's own hello route, each in a fresh process started
// the same way; the ratio to its own framework is printed (lib/targets.js). Fastify's hello is the `fastify`
// baseline row; Next.js has its own pair in lib/next.js.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_KEY } from './token.js'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')
const servers = join(here, '..', 'servers')

/** Scenario list; `cj` gives the database and the login helper of lib/cookiejwt.js. */
export function adapterScenarios({ serverEnv, database, tokens }) {
  const hello = (name, file) => () => ({ name, args: [join(servers, file)], env: { BENCH_KEY }, readyPath: '/' })
  const app = (name, file) => () => ({ name, args: [file], env: serverEnv(database()), readyPath: '/api/health/' })
  const me = (ctx) => ({ path: '/api/auth/me/', headers: { cookie: `access_token=${ctx.access}` } })
  const setup = (s) => tokens(s, '/api/auth/me/')
  const rows = [
    { id: 'cj-fastify-db-cookie', label: 'adapter Fastify (buildApp): GET /api/auth/me/ cookie, DB user', server: app('cookiejwt Fastify adapter', join(servers, 'cj-fastify.js')), setup, request: me, floorId: 'fastify' },
    { id: 'express-hello', label: 'Express 5, no auth: hello route', server: hello('express hello', 'express-hello.js'), request: () => ({ path: '/hello' }) },
    { id: 'cj-express-db-cookie', label: '@cookiejwt/express (examples/express): GET /api/auth/me/ cookie, DB user', server: app('examples/express', join(repo, 'examples', 'express', 'server.js')), setup, request: me, floorId: 'express-hello' },
    { id: 'hono-hello', label: 'Hono (node-server), no auth: hello route', server: hello('hono hello', 'hono-hello.js'), request: () => ({ path: '/hello' }) },
    { id: 'cj-hono-db-cookie', label: '@cookiejwt/hono (examples/hono): GET /api/auth/me/ cookie, DB user', server: app('examples/hono', join(repo, 'examples', 'hono', 'server.js')), setup, request: me, floorId: 'hono-hello' },
  ]
  for (const [pkg, row] of [['express', rows[2]], ['hono', rows[4]]]) {
    if (!existsSync(join(repo, 'packages', pkg, 'dist', 'index.js'))) row.skip = `packages/${pkg} is not built (npm run build)`
  }
  return rows
}
