/**
 * Throwaway PostgreSQL and Redis servers for tests.
 *
 * Each call starts a private server on a free loopback port with its data in a fresh temporary
 * directory, and returns handles to stop it (clean), kill it (an outage), and restart it on the same
 * port and data. Servers are stopped by PID when the test process exits. Binaries come from
 * Debian's `postgresql` and `redis-server` packages; when they are missing, `requireService()`
 * throws an error naming the package, so a test fails (never skips) — CI installs both.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const execFileAsync = promisify(execFile)

/** A service the harness can start. */
export type ServiceName = 'postgres' | 'redis'

/** A running throwaway server. */
export interface ServiceHandle {
  /** Connection URL, e.g. `postgres://postgres@127.0.0.1:5433/cookiejwt` or `redis://127.0.0.1:6380`. */
  readonly url: string
  /** The loopback TCP port; it stays the same across `kill()` / `restart()`. */
  readonly port: number
  /** Stops the server cleanly and deletes its data; the handle is unusable afterwards. */
  stop(): Promise<void>
  /** Stops the server hard (SIGKILL/immediate shutdown), keeping its data: simulates an outage. */
  kill(): Promise<void>
  /** Starts the server again on the same port and data directory (after `kill()`). */
  restart(): Promise<void>
}

/** A running throwaway PostgreSQL server. */
export interface PostgresHandle extends ServiceHandle {
  /** Creates a fresh empty database on this server and returns its URL. */
  createDatabase(name?: string): Promise<string>
}

const PACKAGES: Record<ServiceName, string> = { postgres: 'postgresql', redis: 'redis-server' }
const START_TIMEOUT_MS = 30_000

/** Returns the PostgreSQL bin directory (newest version under /usr/lib/postgresql), or null. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
  for (const version of versions) {
    const bin = join(root, version, 'bin')
    if (['initdb', 'pg_ctl', 'postgres', 'createdb'].every((b) => existsSync(join(bin, b)))) return bin
  }
  return null
}

/** Returns the path of `redis-server`, or null. */
export function findRedisServer(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/sbin'])) {
    if (dir && existsSync(join(dir, 'redis-server'))) return join(dir, 'redis-server')
  }
  return null
}

/**
 * Throws when the binaries of a service are missing, naming the Debian package to install.
 *
 * Tests call it (directly or through `startPostgres()` / `startRedis()`), so a missing server is
 * a test failure with an actionable message, never a silent skip.
 */
export function requireService(name: ServiceName): void {
  const found = name === 'postgres' ? findPostgresBin() : findRedisServer()
  if (!found) throw missingServiceError(name)
}

/** The error `requireService()` throws for a missing service: what is missing and what to install. */
export function missingServiceError(name: ServiceName): Error {
  const what =
    name === 'postgres'
      ? 'PostgreSQL server binaries (initdb, pg_ctl, postgres under /usr/lib/postgresql/<version>/bin)'
      : 'redis-server'
  return new Error(
    `${what} not found: this test needs a real ${name === 'postgres' ? 'PostgreSQL' : 'Redis'} server. ` +
      `Install the Debian package: apt-get install -y ${PACKAGES[name]}` +
      (process.env.CI === 'true' ? ' (CI=true: a missing service is a failure)' : ''),
  )
}

/** Returns a currently free TCP port on 127.0.0.1. */
export async function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Cleanup on exit: every live server is stopped by PID, every temp dir removed.

const liveProcesses = new Map<number, NodeJS.Signals>()
const tempDirs = new Set<string>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  const cleanup = (): void => {
    for (const [pid, signal] of liveProcesses) {
      try {
        process.kill(pid, signal)
      } catch {
        // already gone
      }
    }
    liveProcesses.clear()
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
    tempDirs.clear()
  }
  process.once('exit', cleanup)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanup()
      process.kill(process.pid, signal)
    })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

async function waitForExit(pid: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(`process ${pid} to exit`, () => !isAlive(pid), timeoutMs)
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.connect(port, '127.0.0.1', () => done(true))
  })
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const isRoot = process.getuid?.() === 0

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root). */
async function runPg(bin: string, args: string[]): Promise<string> {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]
  try {
    const { stdout } = await execFileAsync(file, argv, { timeout: START_TIMEOUT_MS })
    return stdout
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string }
    throw new Error(`${bin} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`)
  }
}

function chownToPostgres(path: string): void {
  if (!isRoot) return
  const passwd = readFileSync('/etc/passwd', 'utf8')
  const line = passwd.split('\n').find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error('user "postgres" not found; install the Debian package: apt-get install -y postgresql')
  const [, , uid, gid] = line.split(':')
  chownSync(path, Number(uid), Number(gid))
}

let databaseCounter = 0

/**
 * initdb is the slow part of a start (seconds on a busy machine), so it runs once per machine and
 * PostgreSQL version into a template cluster under the temp dir; each server gets a copy of it.
 */
async function copyTemplateCluster(bin: string, dataDir: string): Promise<void> {
  const version = bin.split('/').at(-2) ?? 'pg'
  const template = join(tmpdir(), `cookiejwt-pg-template-${version}-${process.getuid?.() ?? 0}`)
  if (!existsSync(join(template, 'PG_VERSION'))) {
    const building = mkdtempSync(join(tmpdir(), 'cookiejwt-pg-initdb-'))
    try {
      chownToPostgres(building)
      const data = join(building, 'data')
      await runPg(join(bin, 'initdb'), [
        '-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync',
      ])
      // Atomic publish: of concurrent builders one rename wins, the others keep theirs unused.
      try {
        renameSync(data, template)
      } catch (error) {
        if (!existsSync(join(template, 'PG_VERSION'))) throw error
      }
    } finally {
      rmSync(building, { recursive: true, force: true })
    }
  }
  // cp -a keeps the postgres ownership and the 0700 mode postgres insists on.
  await execFileAsync('cp', ['-a', template, dataDir], { timeout: START_TIMEOUT_MS })
}

/**
 * Starts a throwaway PostgreSQL server (initdb + pg_ctl) on a free loopback port, with one empty
 * database `cookiejwt` created; trust authentication for the `postgres` user on loopback only.
 *
 * @example
 * const pg = await startPostgres()
 * afterAll(() => pg.stop())
 */
export async function startPostgres(): Promise<PostgresHandle> {
  requireService('postgres')
  const bin = findPostgresBin() as string
  installExitHook()
  const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-pg-'))
  tempDirs.add(dir)
  chownToPostgres(dir)
  const dataDir = join(dir, 'data')
  const logFile = join(dir, 'server.log')
  await copyTemplateCluster(bin, dataDir)

  let port = 0
  let pid = 0

  const readPid = (): number => {
    const text = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8')
    return Number(text.split('\n')[0])
  }

  const start = async (): Promise<void> => {
    // No fsync and small memory: these servers are disposable and many run at once. Commits still
    // reach the OS before returning (no synchronous_commit=off), so kill() loses no committed row.
    const options = [
      `-p ${port}`, '-h 127.0.0.1', `-k ${dir}`, '-F',
      '-c shared_buffers=16MB', '-c max_connections=200', '-c full_page_writes=off', '-c dynamic_shared_memory_type=mmap',
    ].join(' ')
    await runPg(join(bin, 'pg_ctl'), ['start', '-w', '-t', '30', '-D', dataDir, '-l', logFile, '-o', options])
    pid = readPid()
    liveProcesses.set(pid, 'SIGQUIT')
  }

  // A port can be taken between getFreePort() and the bind; try a few.
  for (let attempt = 0; ; attempt++) {
    port = await getFreePort()
    try {
      await start()
      break
    } catch (error) {
      if (attempt >= 3) throw error
    }
  }

  const baseUrl = `postgres://postgres@127.0.0.1:${port}`
  const createDatabase = async (name?: string): Promise<string> => {
    const db = name ?? `cookiejwt_${process.pid}_${++databaseCounter}`
    if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`invalid database name "${db}"`)
    // A client beats spawning createdb; FILE_COPY is the quick strategy for a tiny template.
    const client = new pg.Client({ connectionString: `${baseUrl}/postgres` })
    await client.connect()
    try {
      const strategy = Number(bin.split('/').at(-2)) >= 15 ? ' strategy file_copy' : ''
      await client.query(`create database ${db}${strategy}`)
    } finally {
      await client.end()
    }
    return `${baseUrl}/${db}`
  }
  const url = await createDatabase('cookiejwt')

  let stopped = false
  const kill = async (): Promise<void> => {
    if (!pid || !isAlive(pid)) return
    // SIGQUIT = "immediate shutdown": every connection is cut at once, no checkpoint — an outage.
    process.kill(pid, 'SIGQUIT')
    await waitForExit(pid)
    liveProcesses.delete(pid)
    pid = 0
  }
  return {
    url,
    port,
    createDatabase,
    kill,
    async restart() {
      if (stopped) throw new Error('the server was stopped; start a new one')
      await kill()
      await start()
    },
    async stop() {
      if (stopped) return
      stopped = true
      if (pid && isAlive(pid)) {
        process.kill(pid, 'SIGINT') // "fast shutdown": disconnects clients, then exits cleanly
        await waitForExit(pid).catch(() => process.kill(pid, 'SIGKILL'))
        liveProcesses.delete(pid)
      }
      rmSync(dir, { recursive: true, force: true })
      tempDirs.delete(dir)
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

/**
 * Starts a throwaway `redis-server` on a free loopback port, without persistence.
 *
 * @example
 * const redis = await startRedis()
 * afterAll(() => redis.stop())
 */
export async function startRedis(): Promise<ServiceHandle> {
  requireService('redis')
  const server = findRedisServer() as string
  installExitHook()
  const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-redis-'))
  tempDirs.add(dir)
  let port = 0
  let child: ChildProcess | null = null

  const start = async (): Promise<void> => {
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', '--databases', '1',
    ]
    let output = ''
    const proc = spawn(server, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()))
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()))
    let exited = false
    proc.once('exit', () => (exited = true))
    child = proc
    if (proc.pid) liveProcesses.set(proc.pid, 'SIGKILL')
    try {
      await waitFor(`redis-server on port ${port}`, async () => {
        if (exited) throw new Error(`redis-server exited: ${output.trim()}`)
        return canConnect(port)
      })
    } catch (error) {
      proc.kill('SIGKILL')
      throw error
    }
  }

  for (let attempt = 0; ; attempt++) {
    port = await getFreePort()
    try {
      await start()
      break
    } catch (error) {
      if (attempt >= 3) throw error
    }
  }

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child
    child = null
    if (!proc?.pid) return
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill(signal)
      await exited
    }
    liveProcesses.delete(proc.pid)
  }

  let stopped = false
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => halt('SIGKILL'),
    async restart() {
      if (stopped) throw new Error('the server was stopped; start a new one')
      await halt('SIGKILL')
      await start()
    },
    async stop() {
      if (stopped) return
      stopped = true
      await halt('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
      tempDirs.delete(dir)
    },
  }
}
