// Next.js (issue 14): examples/next's production build under `next start`, one process per scenario. The cookie-
// authenticated GET /api/auth/me/ (the catch-all route handler of @cookiejwt/next, user read from SQLite) beside the
// same app's bare route handler GET /hello (no cookiejwt): the ratio to Next.js's own hello is printed.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { login, SUPERUSER } from './cookiejwt.js'
import { runLoad } from './load.js'
import { httpRequest } from './processes.js'
import { BENCH_KEY } from './token.js'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const EXAMPLE = join(repo, 'examples', 'next')
const NEXT_BIN = join(repo, 'node_modules', 'next', 'dist', 'bin', 'next')
const CLI = join(repo, 'packages', 'server', 'bin', 'cookiejwt.js')
const TARGET = 0.7

function env(db) {
  return {
    DATABASE_URL: `sqlite:${db}`,
    COOKIEJWT_SIGNING_KEY: BENCH_KEY,
    COOKIEJWT_ACCESS_TOKEN_LIFETIME: '7200',
    COOKIEJWT_STATIC_ROOT: '',
    NEXT_TELEMETRY_DISABLED: '1',
    LOG_LEVEL: 'warn',
  }
}

function makeDatabase() {
  const db = join(mkdtempSync(join(tmpdir(), 'cookiejwt-bench-next-')), 'db.sqlite3')
  const e = { ...process.env, ...env(db), COOKIEJWT_SUPERUSER_PASSWORD: SUPERUSER.password }
  execFileSync(process.execPath, [CLI, 'migrate'], { env: e, stdio: ['ignore', 'ignore', 'inherit'] })
  execFileSync(process.execPath, [CLI, 'createsuperuser', '--username', SUPERUSER.username, '--email', 'bench@example.com', '--noinput'], {
    env: e,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return db
}

/** Warm-up, then `opts.runs` measured runs of one request; the median run (or an error). */
async function measure(srv, req, opts) {
  const check = await httpRequest(srv.url + req.path, { headers: req.headers })
  if (check.status !== 200) throw new Error(`probe GET ${req.path} gave ${check.status}: ${check.body.slice(0, 200)}`)
  const load = { url: srv.url + req.path, headers: req.headers ?? {}, connections: opts.connections, tool: opts.tool }
  await runLoad({ ...load, durationSec: opts.warmSec })
  const runs = []
  for (let i = 0; i < opts.runs; i++) {
    const timer = setInterval(() => srv.sampleRss(), 200)
    try {
      runs.push(await runLoad({ ...load, durationSec: opts.durationSec }))
    } finally {
      clearInterval(timer)
    }
  }
  const mid = [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)]
  const bad = runs.reduce((a, r) => a + r.non2xx + r.errors, 0)
  const total = runs.reduce((a, r) => a + r.requests, 0)
  return { ...mid, runs: runs.map((r) => Math.round(r.rps)), ...(bad > total * 0.01 ? { error: `${bad} of ${total} requests failed` } : {}) }
}

/** The two Next.js rows; the production build is made first when there is none (`next build`, a minute or two). */
export async function nextScenarios() {
  if (!existsSync(NEXT_BIN)) return [{ id: 'next', label: 'Next.js scenarios', skip: 'next is not installed (npm install)' }]
  if (!existsSync(join(repo, 'packages', 'next', 'dist', 'index.js'))) {
    return [{ id: 'next', label: 'Next.js scenarios', skip: 'packages/next is not built (npm run build)' }]
  }
  let db
  let hello = null
  const server = () => ({
    name: 'next start',
    args: (port) => [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)],
    cwd: EXAMPLE,
    env: env((db ??= makeDatabase())),
    readyPath: '/api/health/',
    timeoutMs: 60000,
  })
  const ensureBuilt = () => {
    if (existsSync(join(EXAMPLE, '.next', 'BUILD_ID'))) return
    process.stderr.write('(next build of examples/next first) ')
    const r = spawnSync(process.execPath, [NEXT_BIN, 'build'], { cwd: EXAMPLE, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: 'ignore' })
    if (r.status !== 0) throw new Error('next build of examples/next failed (run it in examples/next to see why)')
  }
  ensureBuilt()
  return [
    {
      id: 'next-hello',
      label: 'Next.js: bare route handler GET /hello',
      server,
      async custom(srv, _ctx, opts) {
        hello = await measure(srv, { path: '/hello' }, opts)
        return hello
      },
    },
    {
      id: 'cj-next-db-cookie',
      label: '@cookiejwt/next: GET /api/auth/me/ cookie, DB user',
      server,
      async custom(srv, _ctx, opts) {
        const { access } = await login(srv.url)
        const row = await measure(srv, { path: '/api/auth/me/', headers: { cookie: `access_token=${access}` } }, opts)
        if (!hello?.rps) return { ...row, note: "Next.js's own hello did not run: no ratio" }
        const ratio = row.rps / hello.rps
        return { ...row, note: `${ratio.toFixed(2)}× of Next.js's own hello route (target ≥ ${TARGET}×${ratio >= TARGET ? ', met' : ', MISSED'})` }
      },
    },
  ]
}
