/**
 * Real `cookiejwt serve` processes for production-shaped tests (several servers on one PostgreSQL
 * and Redis, outages, SIGTERM). Uses the built CLI (`npm run build` first, as `npm test` does).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createPasswordHashers } from '@cookiejwt/core'
import { openDatabase } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { getFreePort } from '../services/index.js'

const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/cookiejwt.js')
const DIST = resolve(fileURLToPath(import.meta.url), '../../../dist/cli/index.js')
const execFileAsync = promisify(execFile)

/** One signing key for every process of a test file: tokens from A verify on B. */
export const SHARED_SIGNING_KEY = randomBytes(48).toString('base64url')

/** Environment for a server process: a temp data dir, no static app, quiet logs. */
export function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const dataDir = mkdtempSync(join(tmpdir(), 'cookiejwt-data-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    COOKIEJWT_SIGNING_KEY: SHARED_SIGNING_KEY,
    COOKIEJWT_DATA_DIR: dataDir,
    COOKIEJWT_STATIC_ROOT: '',
    LOG_LEVEL: 'warn',
    ...extra,
  }
  return env
}

const cleanups: Array<() => void> = []
process.once('exit', () => {
  for (const cleanup of cleanups) cleanup()
})

/** Runs a `cookiejwt` command to completion; rejects with its output on a non-zero exit. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  requireBuilt()
  try {
    const { stdout } = await execFileAsync(process.execPath, [BIN, ...args], { env, timeout: 60_000 })
    return stdout
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string }
    throw new Error(`cookiejwt ${args[0]} failed: ${e.stderr || e.stdout || e.message}`)
  }
}

/**
 * Migrates the database at `url` and creates active users with `password` (argon2, as the server
 * would), in this process: cheaper than one `cookiejwt createsuperuser` process per user.
 */
export async function prepareDatabase(url: string, usernames: string[], password: string): Promise<void> {
  const handle = await openDatabase(url)
  try {
    const { error } = await migrateToLatest(handle)
    if (error) throw error
    const hashers = createPasswordHashers({ default: 'argon2' })
    const users = new KyselyUserStore(handle)
    const encoded = await hashers.hash(password)
    for (const username of usernames) {
      await users.create({ username, email: `${username}@example.com`, password: encoded }, new Date())
    }
  } finally {
    await handle.destroy()
  }
}

/** A running `cookiejwt serve` process. */
export interface ServerProcess {
  readonly url: string
  readonly port: number
  readonly child: ChildProcess
  /** Everything it wrote to stdout and stderr so far. */
  output(): string
  /** Sends `signal` (default SIGTERM) and resolves with the exit code once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  /** Resolves with the exit code once it has exited (sends nothing). */
  readonly exited: Promise<number | null>
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** Starts `cookiejwt serve --port <free port> …args` and resolves once `/api/health/` answers. */
export async function startServer(env: NodeJS.ProcessEnv, args: string[] = []): Promise<ServerProcess> {
  requireBuilt()
  const port = await getFreePort()
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  // 'exit' can come before the last output is read: wait for both pipes to end too (at most 1 s, in case a
  // worker the process left behind still holds them).
  const drained = (stream: NodeJS.ReadableStream | null) =>
    new Promise<void>((resolve) => (stream ? stream.once('end', resolve).once('error', resolve) : resolve()))
  const pipesEnded = Promise.all([drained(child.stdout), drained(child.stderr)])
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child)
      void Promise.race([pipesEnded, new Promise((r) => setTimeout(r, 1000))]).then(() => resolve(code))
    }),
  )
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cookiejwt serve exited (${child.exitCode}): ${output}`)
    const up = await fetch(`${url}/api/health/`).then(
      (r) => r.status === 200 || r.status === 503,
      () => false,
    )
    if (up) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`cookiejwt serve did not answer within 60 s: ${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    port,
    child,
    exited,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

function requireBuilt(): void {
  if (!existsSync(DIST)) {
    throw new Error('packages/server is not built: run `npm run build` at the repository root (npm test does)')
  }
}

/** A JSON POST/GET helper; returns status and parsed body (or null). */
export async function api(
  base: string,
  path: string,
  options: { method?: string; json?: unknown; bearer?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> | null; headers: Headers }> {
  const headers: Record<string, string> = {}
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`
  const res = await fetch(`${base}${path}`, {
    method: options.method ?? (options.json !== undefined ? 'POST' : 'GET'),
    headers,
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
    signal: AbortSignal.timeout(20_000),
  })
  const text = await res.text()
  let body: Record<string, unknown> | null = null
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : null
  } catch {
    body = null
  }
  return { status: res.status, body, headers: res.headers }
}
