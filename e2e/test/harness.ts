// Shared set-up of the browser tests: free ports, the real cookiejwt server as a child process, a static
// server for the split set-up, and Debian's Chromium through playwright-core (never a downloaded browser).
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
export const WEB_DIST = join(REPO, 'apps/web/dist')
export const ARTIFACTS = join(REPO, 'e2e/artifacts')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CLI = join(REPO, 'packages/server/bin/cookiejwt.js')

export const ADMIN = {
  username: 'admin',
  email: 'admin@example.com',
  password: 'e2e-Correct-Horse-42',
}

/**
 * Whether the browser tests can run here: true, or an error naming the missing Chromium, server build or app build
 * (here and under CI=true alike: a browser test is never skipped).
 */
export function checkPrerequisites({ server = true } = {}): boolean {
  const missing: string[] = []
  if (!existsSync(CHROMIUM)) missing.push(`Chromium at ${CHROMIUM} (apt-get install -y chromium)`)
  if (server && !existsSync(CLI)) missing.push(`the server CLI ${CLI} (packages/server)`)
  if (server && !existsSync(join(REPO, 'packages/server/dist')))
    missing.push('the built server (npm run build)')
  if (!existsSync(join(WEB_DIST, 'index.html'))) missing.push('the built web app (npm run build)')
  if (missing.length === 0) return true
  // Never a skip: a browser test that cannot run fails, here and in CI, and says what to install.
  throw new Error(`e2e: cannot run the browser tests, missing: ${missing.join('; ')}`)
}

/** Launches headless Debian Chromium with the flags that keep it offline and quiet. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
}

/** A port that was free a moment ago (bound on 127.0.0.1 then released). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolveRun(out)
        : reject(new Error(`cookiejwt ${args[0]} exited ${code}: ${out.trim()}`)),
    )
  })
}

/** A running cookiejwt server; `url` is `http://localhost:<port>`. */
export interface ApiServer {
  url: string
  port: number
  output: () => string
  stop(): Promise<void>
}

/** Options of {@link startApiServer}: extra environment (lifetimes, CORS origins, static root). */
export interface ApiServerOptions {
  env?: Record<string, string>
  /** Port to listen on. @default a free port */
  port?: number
}

/**
 * Migrates a temporary SQLite database, creates the superuser {@link ADMIN}, then runs
 * `cookiejwt serve --migrate` on a free port and waits for `GET /api/health/`.
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'cookiejwt-e2e-'))
  const port = options.port ?? (await freePort())
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite3')}`,
    HOST: '127.0.0.1',
    PORT: String(port),
    COOKIEJWT_SIGNING_KEY: randomBytes(32).toString('hex'),
    COOKIEJWT_SUPERUSER_PASSWORD: ADMIN.password,
    COOKIEJWT_STATIC_ROOT: WEB_DIST,
    ...options.env,
  }
  await run(['migrate'], env)
  await run(
    ['createsuperuser', '--username', ADMIN.username, '--email', ADMIN.email, '--noinput'],
    env,
  )
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--migrate'], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const url = `http://localhost:${port}`
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
    if (child.exitCode === null) child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`cookiejwt serve exited ${child.exitCode}: ${output.trim()}`)
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health/`)
      if (res.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`cookiejwt serve did not become healthy in 20 s: ${output.trim()}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return { url, port, output: () => output, stop }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
}

/** A static file server on `http://localhost:<free port>` with a single-page-app fallback to index.html. */
export async function startStaticServer(
  root: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const base = resolve(root)
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      let file = normalize(join(base, path))
      if (!file.startsWith(base + sep) || path.endsWith('/')) file = join(base, 'index.html')
      let body: Buffer
      try {
        body = await readFile(file)
      } catch {
        file = join(base, 'index.html')
        body = await readFile(file)
      }
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
      res.end(body)
    })().catch(() => {
      res.writeHead(500)
      res.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://localhost:${port}`,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** Builds apps/web into a temporary folder with `VITE_API_URL` baked in (the split set-up). */
export async function buildWebFor(apiUrl: string): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'cookiejwt-web-'))
  await new Promise<void>((resolveBuild, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(REPO, 'node_modules/vite/bin/vite.js'),
        'build',
        '--outDir',
        outDir,
        '--emptyOutDir',
        '--logLevel',
        'warn',
      ],
      {
        cwd: join(REPO, 'apps/web'),
        env: { ...process.env, NODE_ENV: 'production', VITE_API_URL: apiUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) =>
      code === 0 ? resolveBuild() : reject(new Error(`vite build failed: ${out}`)),
    )
  })
  return outDir
}

/** Path of a screenshot under e2e/artifacts/ (created on demand; the folder is gitignored). */
export async function artifact(name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true })
  return join(ARTIFACTS, name)
}
