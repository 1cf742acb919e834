/**
 * COOKIEJWT_TEST_ADAPTER=next: the contract tests against examples/next's production build, `next start` on a real
 * port, configured only through the environment as a user would (DATABASE_URL, COOKIEJWT_SIGNING_KEY,
 * COOKIEJWT_SETTINGS, COOKIEJWT_STATIC_ROOT). The test process opens the same SQLite file for its fixtures.
 *
 * Dependencies a test would inject in-process cannot cross into the Next.js process; the ones with an environment
 * equivalent are mapped (`staticRoot` → COOKIEJWT_STATIC_ROOT), any other one fails the test, naming it.
 * `database.destroy()` also takes the database from the server: the server is restarted on the same port against a
 * PostgreSQL address where nothing listens. The service then cannot start (its start-up checks the user table), and
 * the adapter must answer 503 in DRF's shape, never a 500 or Next.js's error page.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AuthSettingsInput } from '@cookiejwt/core'
import type { DatabaseHandle } from '../../src/storage/db.js'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
export const NEXT_EXAMPLE = join(REPO, 'examples/next')
const NEXT_BIN = join(REPO, 'node_modules/next/dist/bin/next')
const BUILD_ID = join(NEXT_EXAMPLE, '.next/BUILD_ID')

/**
 * Runs `next build` unless the production build was made from exactly the current sources (examples/next and
 * packages/next/dist, by content: `npm run build` rewrites dist without changing it, which must not cost a rebuild).
 */
export function buildNextExample(): void {
  const stamp = join(NEXT_EXAMPLE, '.next/cookiejwt-sources')
  const sources = sourcesDigest()
  if (existsSync(BUILD_ID) && existsSync(stamp) && readFileSync(stamp, 'utf8') === sources) return
  const result = spawnSync(process.execPath, [NEXT_BIN, 'build'], {
    cwd: NEXT_EXAMPLE,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`next build of examples/next failed:\n${result.stdout}\n${result.stderr}`)
  writeFileSync(stamp, sources)
}

function sourcesDigest(): string {
  const hash = createHash('sha256')
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (['.next', 'node_modules', 'data', 'next-env.d.ts', 'tsconfig.tsbuildinfo'].includes(entry.name)) continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else hash.update(`${path}\0`).update(readFileSync(path)).update('\0')
    }
  }
  walk(NEXT_EXAMPLE)
  walk(join(REPO, 'packages/next/dist'))
  return hash.digest('hex')
}

/** A free loopback port (nothing listens on it once this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** What the test's dependencies become in the Next.js process's environment; throws for one with no equivalent. */
function envOfDeps(deps: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(deps)) {
    if (value === undefined) continue
    if (name === 'staticRoot') env.COOKIEJWT_STATIC_ROOT = value === null ? '' : String(value)
    else throw new Error(`COOKIEJWT_TEST_ADAPTER=next: deps.${name} cannot be passed to a Next.js process; express it as settings or environment`)
  }
  return env
}

/** A running `next start` of the example. */
export interface NextServer {
  readonly url: string
  /** The database handle of the test process; `destroy()` also restarts the server without a reachable database. */
  readonly database: DatabaseHandle
  close(): Promise<void>
}

/**
 * Starts the example on a free port against the SQLite file at `databaseUrl` (migrated by the caller). `input` is the
 * test's settings; the defaults the in-process harness has (a cheap PBKDF2, cookies without `Secure` over plain
 * HTTP, where `next start` always runs with NODE_ENV=production) come first, so the test's own input wins.
 */
export async function startNextServer(options: {
  input: AuthSettingsInput
  signingKey: string
  databaseUrl: string
  database: DatabaseHandle
  deps: Record<string, unknown>
  dataDir: string
}): Promise<NextServer> {
  const { input } = options
  const settings: AuthSettingsInput = {
    passwordHasher: 'pbkdf2_sha256',
    passwordHasherOptions: { pbkdf2Iterations: 1000 },
    ...input,
    authCookie: { secure: false, ...input.authCookie },
    refreshCookie: { secure: false, ...input.refreshCookie },
    csrf: { cookieSecure: false, ...input.csrf },
  }
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const baseEnv = {
    ...process.env,
    ...envOfDeps(options.deps),
    NEXT_TELEMETRY_DISABLED: '1',
    LOG_LEVEL: 'warn',
    COOKIEJWT_DATA_DIR: options.dataDir,
    COOKIEJWT_SIGNING_KEY: options.signingKey,
    COOKIEJWT_SETTINGS: JSON.stringify(settings),
  }
  let child = await launch(port, { ...baseEnv, DATABASE_URL: options.databaseUrl })
  const database: DatabaseHandle = {
    ...options.database,
    destroy: async () => {
      await options.database.destroy()
      await stop(child)
      // Nothing listens on a port just freed: every query of the restarted server fails to connect.
      child = await launch(port, { ...baseEnv, DATABASE_URL: `postgres://cookiejwt@127.0.0.1:${await freePort()}/gone` })
    },
  }
  return { url, database, close: () => stop(child) }
}

async function launch(port: number, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: NEXT_EXAMPLE,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const deadline = Date.now() + 50_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output}`)
    try {
      // Any answer means the server is up (a restarted one without its database answers 503).
      await fetch(`http://127.0.0.1:${port}/api/health/`, { signal: AbortSignal.timeout(5000) })
      return child
    } catch {
      if (Date.now() > deadline) {
        await stop(child)
        throw new Error(`next start did not answer on port ${port} within 50 s:\n${output}`)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve()
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolveStop()
    })
    process.kill(-child.pid!, 'SIGTERM')
  })
}
