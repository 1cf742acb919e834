// cookiejwt's scenarios 1–6. A tiny Fastify app with the plugin (servers/cookiejwt-app.js) measures the library
// on its own (stateless and DB user); the real `cookiejwt serve` measures the product (all hooks, CORS, headers).
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PEER_TOKEN } from './baselines.js'
import { adapterScenarios } from './adapters.js'
import { loginFloodScenario } from './flood.js'
import { runLoad } from './load.js'
import { postgresMissing, startPostgres } from './postgres.js'
import { redisMissing, startRedis } from './redis.js'
import { httpRequest } from './processes.js'
import { BENCH_KEY } from './token.js'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')
const CLI = join(repo, 'packages', 'server', 'bin', 'cookiejwt.js')
const SERVER_DIST = join(repo, 'packages', 'server', 'dist', 'index.js')
const APP = join(here, '..', 'servers', 'cookiejwt-app.js')
export const SUPERUSER = { username: 'bench', password: 'bench-Password-2024!' }
const json = { 'content-type': 'application/json' }

function setCookieMap(res) {
  const out = {}
  for (const c of [res.headers['set-cookie'] ?? []].flat()) {
    const m = /^([^=]+)=([^;]*)/.exec(c)
    if (m) out[m[1]] = m[2]
  }
  return out
}

/** Logs in once and returns `{ access, refresh, csrf }` from the Set-Cookie headers. */
export async function login(url, credentials = SUPERUSER, path = '/api/auth/login/') {
  // A login hashes a password: under load it can take seconds.
  const res = await httpRequest(url + path, { method: 'POST', headers: json, body: JSON.stringify(credentials), timeoutMs: 60000 })
  if (res.status !== 200) throw new Error(`login gave ${res.status}: ${res.body.slice(0, 200)}`)
  const c = setCookieMap(res)
  return { access: c.access_token, refresh: c.refresh_token, csrf: c.csrftoken }
}

function missing() {
  if (!existsSync(SERVER_DIST)) return 'packages/server is not built (run `npm run build` at the root)'
  if (!existsSync(CLI)) return 'packages/server/bin/cookiejwt.js is missing'
  return null
}

/** Creates the temp SQLite database with the CLI (`migrate`, `createsuperuser --noinput`) once per run. */
function makeDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-bench-'))
  prepareDatabase(serverEnv(join(dir, 'db.sqlite3')))
  return join(dir, 'db.sqlite3')
}

/** `cookiejwt migrate` and `createsuperuser --noinput` against the database of `serverEnv`. */
export function prepareDatabase(serverEnvironment) {
  const env = { ...process.env, ...serverEnvironment, COOKIEJWT_SUPERUSER_PASSWORD: SUPERUSER.password }
  execFileSync(process.execPath, [CLI, 'migrate'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  execFileSync(process.execPath, [CLI, 'createsuperuser', '--username', SUPERUSER.username, '--email', 'bench@example.com', '--noinput'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

/** The environment of every cookiejwt server of the bench; `db` is a SQLite path or a postgres:// URL. */
export function serverEnv(db) {
  return {
    DATABASE_URL: db.startsWith('postgres://') ? db : `sqlite:${db}`,
    COOKIEJWT_SIGNING_KEY: BENCH_KEY,
    // Long enough for a whole run; the lifetime does not change the cost of a verification.
    COOKIEJWT_ACCESS_TOKEN_LIFETIME: '7200',
    COOKIEJWT_STATIC_ROOT: '',
    NODE_ENV: 'bench',
    COOKIEJWT_WORKERS: '1',
  }
}

/** Scenario list; skipped with a note when the server is not built yet. */
export async function cookiejwtScenarios() {
  const why = missing()
  if (why) return [{ id: 'cookiejwt', label: 'cookiejwt scenarios', skip: why }]
  let db
  const database = () => (db ??= makeDatabase())
  const serve = () => ({ name: 'cookiejwt serve', args: [CLI, 'serve'], env: serverEnv(database()), readyPath: '/api/health/' })
  const serveStateless = () => ({ ...serve(), env: { ...serverEnv(database()), COOKIEJWT_SETTINGS: JSON.stringify({ statelessUser: true }) } })
  const workers = Math.max(2, availableParallelism())
  const serveWorkers = () => ({ ...serve(), name: `cookiejwt serve --workers ${workers}`, env: { ...serverEnv(database()), COOKIEJWT_WORKERS: String(workers) }, multiProcess: true })
  const pgWhy = postgresMissing()
  let pgUrl
  const servePg = async () => {
    if (!pgUrl) {
      pgUrl = await startPostgres()
      prepareDatabase(serverEnv(pgUrl))
    }
    return { ...serve(), name: 'cookiejwt serve (PostgreSQL)', env: serverEnv(pgUrl) }
  }
  // The production set-up: PostgreSQL, and Redis for throttling and revocations (a revocation check per request).
  const pgRedisWhy = pgWhy ?? redisMissing()
  const servePgRedis = async () => {
    const pg = await servePg()
    return { ...pg, name: 'cookiejwt serve (PostgreSQL + Redis)', env: { ...pg.env, REDIS_URL: await startRedis() } }
  }
  const app = (stateless) => () => ({
    name: 'cookiejwt app',
    args: [APP],
    env: { ...serverEnv(database()), BENCH_KEY, BENCH_STATELESS: stateless ? '1' : '0' },
    readyPath: '/',
  })
  // The access token: the peers' token when cookiejwt accepts it (same bytes for everyone), else a login token.
  const tokens = async (srv, probePath) => {
    const t = await login(srv.url)
    const probe = await httpRequest(srv.url + probePath, { headers: { cookie: `access_token=${PEER_TOKEN}` } })
    return { ...t, access: probe.status === 200 ? PEER_TOKEN : t.access, shared: probe.status === 200 }
  }
  // The tiny app has no login route; it verifies the peers' token, byte for byte the same.
  const peerToken = async () => ({ access: PEER_TOKEN, shared: true })
  const note = (ctx) => (ctx.shared ? undefined : 'own login token (peer token refused)')
  const cookieGet = (path) => (ctx) => ({ path, headers: { cookie: `access_token=${ctx.access}` } })
  const bearerGet = (path) => (ctx) => ({ path, headers: { authorization: `Bearer ${ctx.access}` } })
  const withNote = (s) => ({ ...s, note })

  return [
    withNote({ id: 'cj-app-stateless-cookie', label: 'cookiejwt plugin: cookie GET, stateless user (1)', server: app(true), setup: peerToken, request: cookieGet('/api/me') }),
    withNote({ id: 'cj-app-db-cookie', label: 'cookiejwt plugin: cookie GET, DB user (1)', server: app(false), setup: peerToken, request: cookieGet('/api/me') }),
    withNote({ id: 'cj-app-stateless-bearer', label: 'cookiejwt plugin: Bearer GET, stateless user (2)', server: app(true), setup: peerToken, request: bearerGet('/api/me') }),
    withNote({ id: 'cj-serve-db-cookie', label: 'cookiejwt serve: GET /api/auth/me/ cookie, DB user (1)', server: serve, setup: (s) => tokens(s, '/api/auth/me/'), request: cookieGet('/api/auth/me/') }),
    withNote({ id: 'cj-serve-stateless-cookie', label: 'cookiejwt serve: GET /api/auth/me/ cookie, stateless user (1)', server: serveStateless, setup: (s) => tokens(s, '/api/auth/me/'), request: cookieGet('/api/auth/me/') }),
    pgWhy
      ? { id: 'cj-serve-pg-cookie', label: 'cookiejwt serve: GET /api/auth/me/ cookie, PostgreSQL user (1)', skip: pgWhy }
      : withNote({ id: 'cj-serve-pg-cookie', label: 'cookiejwt serve: GET /api/auth/me/ cookie, PostgreSQL user (1)', server: servePg, setup: (s) => tokens(s, '/api/auth/me/'), request: cookieGet('/api/auth/me/') }),
    pgRedisWhy
      ? { id: 'cj-serve-pg-redis-cookie', label: 'cookiejwt serve: GET /api/auth/me/ cookie, PostgreSQL user + Redis (1)', skip: pgRedisWhy }
      : withNote({ id: 'cj-serve-pg-redis-cookie', label: 'cookiejwt serve: GET /api/auth/me/ cookie, PostgreSQL user + Redis (1)', server: servePgRedis, setup: (s) => tokens(s, '/api/auth/me/'), request: cookieGet('/api/auth/me/') }),
    withNote({ id: 'cj-serve-workers-cookie', label: `cookiejwt serve --workers ${workers}: GET /api/auth/me/ cookie, DB user (7)`, workers, server: serveWorkers, setup: (s) => tokens(s, '/api/auth/me/'), request: cookieGet('/api/auth/me/') }),
    withNote({ id: 'cj-serve-db-bearer', label: 'cookiejwt serve: GET /api/auth/me/ Bearer, DB user (2)', server: serve, setup: (s) => tokens(s, '/api/auth/me/'), request: bearerGet('/api/auth/me/') }),
    withNote({
      id: 'cj-serve-patch-csrf',
      label: 'cookiejwt serve: PATCH /api/auth/me/ cookie + CSRF (3)',
      server: serve,
      setup: (s) => tokens(s, '/api/auth/me/'),
      request: (ctx) => ({
        path: '/api/auth/me/',
        method: 'PATCH',
        headers: { ...json, cookie: `access_token=${ctx.access}; csrftoken=${ctx.csrf}`, 'x-csrftoken': ctx.csrf },
        body: JSON.stringify({ first_name: 'Bench' }),
      }),
    }),
    refreshScenario(serve),
    loginFloodScenario({ id: 'cj-serve-login', label: 'cookiejwt serve: login (argon2), req/s (5)', server: serve, path: '/api/auth/login/', credentials: SUPERUSER, throughputOnly: true }),
    // The same login load with glibc limited to one malloc arena (where the memory goes: bench/README.md, Memory).
    loginFloodScenario({ id: 'cj-serve-login-arena1', label: 'cookiejwt serve: login (argon2), MALLOC_ARENA_MAX=1 (5)', server: () => ({ ...serve(), env: { ...serverEnv(database()), MALLOC_ARENA_MAX: '1' } }), path: '/api/auth/login/', credentials: SUPERUSER, throughputOnly: true }),
    loginFloodScenario({
      id: 'cj-serve-flood',
      label: 'cookiejwt serve: cookie GET p99 under login flood (5)',
      server: serve,
      path: '/api/auth/login/',
      credentials: SUPERUSER,
      setup: (s) => tokens(s, '/api/auth/me/'),
      hotRequest: cookieGet('/api/auth/me/'),
    }),
    coldStartScenario(serve),
    ...adapterScenarios({ serverEnv, database, tokens }),
  ]
}

/** Scenario 4: refresh with rotation; each connection follows its own rotating refresh token. */
function refreshScenario(serve) {
  const connections = 16
  return {
    id: 'cj-serve-refresh',
    label: 'cookiejwt serve: refresh with rotation, SQLite (4)',
    server: serve,
    async custom(srv, _ctx, opts) {
      // One login per client, four at a time (each hashes a password).
      const pool = async () => {
        const out = []
        while (out.length < connections) {
          const batch = await Promise.all(Array.from({ length: Math.min(4, connections - out.length) }, () => login(srv.url)))
          out.push(...batch.map((t) => t.refresh))
        }
        return out
      }
      const load = { url: srv.url + '/api/auth/refresh/', method: 'POST', headers: {}, connections, mode: 'refresh' }
      await runLoad({ ...load, pool: await pool(), durationSec: opts.warmSec })
      const runs = []
      for (let i = 0; i < opts.runs; i++) {
        const p = await pool()
        const timer = setInterval(() => srv.sampleRss(), 200)
        try {
          runs.push(await runLoad({ ...load, pool: p, durationSec: opts.durationSec }))
        } finally {
          clearInterval(timer)
        }
      }
      const mid = [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)]
      const bad = runs.reduce((a, r) => a + r.non2xx + r.errors, 0)
      const total = runs.reduce((a, r) => a + r.requests, 0)
      return { ...mid, ...(bad > total * 0.01 ? { error: `${bad} of ${total} refreshes failed` } : bad ? { note: `${bad} non-2xx` } : {}) }
    },
  }
}

/** Scenario 6: process spawn → first 200 from /api/health/, median of several fresh starts. */
function coldStartScenario(serve) {
  return {
    id: 'cj-serve-cold-start',
    label: 'cookiejwt serve: cold start (6)',
    server: serve,
    async custom(srv, _ctx, opts) {
      const { startServer } = await import('./processes.js')
      const bare = { name: 'bare', args: [join(here, '..', 'servers', 'bare-http.js')], readyPath: '/' }
      const times = [srv.coldStartMs]
      const bareTimes = []
      // Interleaved with a bare node:http server spawned the same way, so both see the same machine.
      for (let i = 0; i < (opts.quick ? 4 : 6); i++) {
        const b = await startServer(bare)
        bareTimes.push(b.coldStartMs)
        await b.stop()
        if (i === 0) continue
        const s = await startServer(serve())
        times.push(s.coldStartMs)
        await s.stop()
      }
      const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
      const list = (xs) => xs.map((t) => Math.round(t)).join(', ')
      return {
        coldStartMs: med(times),
        bareColdStartMs: med(bareTimes),
        note: `spawn → first 200, median of ${times.length}: ${list(times)} ms; bare node:http the same way: ${list(bareTimes)} ms`,
      }
    },
  }
}
