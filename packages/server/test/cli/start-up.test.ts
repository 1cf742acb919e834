/**
 * Issue 12, cold start: `cookiejwt` runs from the bundle `npm run build` makes (dist/bundle/, scripts/bundle-cli.js),
 * so `serve` loads a few dozen modules instead of about 400; the bundled modules still find the files they read
 * beside their original place; and a bundle older than the last `tsc -b` is never run.
 */
import { spawn, spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PASSWORD, TEST_KEY } from '../helpers.js'

const PACKAGE = resolve(import.meta.dirname, '../..')
const BIN = join(PACKAGE, 'bin/cookiejwt.js')
const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-start-up-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DATABASE_URL: `sqlite:${join(dir, 'db.sqlite3')}`,
  COOKIEJWT_SIGNING_KEY: TEST_KEY,
  COOKIEJWT_PASSWORD_HASHER: 'pbkdf2_sha256',
}

function requireBundle(): void {
  const why =
    'packages/server is not bundled since its last tsc build: run `npm run build` at the root (npm test does)'
  const manifest = join(PACKAGE, 'dist/bundle/manifest.json')
  expect(existsSync(manifest), why).toBe(true)
  const { builds } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    builds: { file: string; mtimeMs: number }[]
  }
  for (const { file, mtimeMs } of builds)
    expect(statSync(resolve(PACKAGE, 'dist/bundle', file)).mtimeMs, why).toBeLessThanOrEqual(
      mtimeMs,
    )
}

function cli(args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    env: { ...env, ...extra },
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  })
}

/** Starts `cookiejwt serve` on a free port; resolves once it logged its address. */
async function serve(nodeArgs: string[], extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0'], {
    env: { ...env, LOG_LEVEL: 'info', ...extra },
    cwd: dir,
  })
  let output = ''
  const url = await new Promise<string>((done, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        done(match[1])
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', () => reject(new Error(`serve exited: ${output}`)))
  })
  const stop = () =>
    new Promise<number | null>((done) => {
      child.once('exit', (code) => done(code))
      child.kill('SIGTERM')
    })
  return { url, stop }
}

describe('the bundled cookiejwt CLI (issue 12, cold start)', { timeout: 90_000 }, () => {
  it('answers its first request having loaded 50 modules at most: none of Kysely, ajv, nodemailer or send', async () => {
    requireBundle()
    expect(cli(['migrate']).status).toBe(0)
    // Every ES module as it loads (a module-loading hook), and every CommonJS one in the cache at exit.
    const log = join(dir, 'modules.txt')
    const hook = `import { appendFileSync } from 'node:fs'
      export async function load(url, context, next) {
        appendFileSync(${JSON.stringify(log)}, 'esm ' + url + '\\n')
        return next(url, context)
      }`
    const preload = join(dir, 'count-modules.mjs')
    writeFileSync(
      preload,
      `import { appendFileSync } from 'node:fs'
      import { createRequire, register } from 'node:module'
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))
      const cache = createRequire(import.meta.url).cache
      process.on('exit', () => appendFileSync(${JSON.stringify(log)}, Object.keys(cache).map((k) => 'cjs ' + k + '\\n').join('')))`,
    )
    const server = await serve(['--import', preload])
    const health = await fetch(`${server.url}/api/health/`)
    expect(health.status).toBe(200)
    const before = readFileSync(log, 'utf8').split('\n').filter(Boolean)
    // The first page of the web app (the default static root) is what loads `send`.
    expect((await fetch(`${server.url}/`)).status).toBe(200)
    expect(await server.stop()).toBe(0)
    const all = readFileSync(log, 'utf8').split('\n').filter(Boolean)
    const esm = before.filter((line) => line.startsWith('esm '))
    const cjs = all.filter((line) => line.startsWith('cjs '))
    expect(esm).toContainEqual(expect.stringMatching(/\/packages\/server\/dist\/bundle\/cli\.js$/))
    // Nothing of ours outside the bundle; 35 ES and 51 CommonJS modules when this was written (407 and 193 before).
    expect(esm.filter((line) => /\/packages\/[^/]+\/dist\/(?!bundle\/)/.test(line))).toEqual([])
    expect(esm.length).toBeLessThanOrEqual(50)
    expect(cjs.length).toBeLessThanOrEqual(70)
    expect(all.filter((line) => /\/node_modules\/(kysely|ajv|nodemailer)\//.test(line))).toEqual([])
    // `send` (the web app's files) loads on the first page request, not at start-up.
    const sendModule = (line: string) => /\/bundle\/send-[^/]*\.js$/.test(line)
    expect(before.filter(sendModule)).toEqual([])
    expect(all.filter(sendModule)).toHaveLength(1)
  })

  it('finds what its modules read beside them: the password list, the package version, the web app', async () => {
    requireBundle()
    const web = resolve(PACKAGE, '../../apps/web/dist/index.html')
    expect(existsSync(web), 'apps/web is not built: run `npm run build`').toBe(true)
    expect(cli(['migrate']).status).toBe(0)
    const common = cli(['createsuperuser', '--username', 'common', '--noinput'], {
      COOKIEJWT_SUPERUSER_PASSWORD: 'password1234',
    })
    expect(common.status).toBe(1)
    expect(common.stderr).toMatch(/This password is too common\./)
    const ok = cli(['createsuperuser', '--username', 'ada', '--noinput'], {
      COOKIEJWT_SUPERUSER_PASSWORD: PASSWORD,
    })
    expect(ok.status, ok.stderr).toBe(0)
    // No COOKIEJWT_STATIC_ROOT: the default is the repository's apps/web/dist, found from the CLI's own path.
    const server = await serve([])
    try {
      const schema = (await (await fetch(`${server.url}/api/schema/`)).json()) as {
        info: { version: string }
      }
      const { version } = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
        version: string
      }
      expect(schema.info.version).toBe(version)
      const page = await fetch(`${server.url}/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toBe(readFileSync(web, 'utf8'))
      // A validated route: ajv loads on this first request and refuses the bad body with DRF's field errors.
      const login = await fetch(`${server.url}/api/auth/login/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ada' }),
      })
      expect(login.status).toBe(400)
      expect(await login.json()).toEqual({ password: ['This field is required.'] })
    } finally {
      await server.stop()
    }
  })

  it('runs dist/cli/ instead of a bundle that a later tsc build has made stale', () => {
    // A copy of the real bin/cookiejwt.js beside a stand-in build whose two entries say which one ran.
    const pkg = join(dir, 'package')
    mkdirSync(join(pkg, 'bin'), { recursive: true })
    mkdirSync(join(pkg, 'dist/cli'), { recursive: true })
    mkdirSync(join(pkg, 'dist/bundle'), { recursive: true })
    copyFileSync(BIN, join(pkg, 'bin/cookiejwt.js'))
    writeFileSync(join(pkg, 'package.json'), '{ "type": "module" }')
    const entry = (name: string) =>
      `export async function main() { console.log(${JSON.stringify(name)}); return 0 }`
    writeFileSync(join(pkg, 'dist/cli/index.js'), entry('unbundled'))
    writeFileSync(join(pkg, 'dist/bundle/cli.js'), entry('bundle'))
    const buildInfo = join(pkg, 'tsconfig.tsbuildinfo')
    writeFileSync(buildInfo, '{}')
    const manifest = (file: string, mtimeMs: number) =>
      writeFileSync(
        join(pkg, 'dist/bundle/manifest.json'),
        JSON.stringify({ builds: [{ file, mtimeMs }] }),
      )
    const run = () =>
      spawnSync(process.execPath, [join(pkg, 'bin/cookiejwt.js')], {
        encoding: 'utf8',
      }).stdout.trim()

    manifest('../../tsconfig.tsbuildinfo', statSync(buildInfo).mtimeMs)
    expect(run()).toBe('bundle')
    const later = new Date(Date.now() + 60_000)
    utimesSync(buildInfo, later, later)
    expect(run()).toBe('unbundled')
    // A published package has no tsbuildinfo: nothing can be newer than its bundle.
    manifest('../../no-such.tsbuildinfo', 0)
    expect(run()).toBe('bundle')
    rmSync(join(pkg, 'dist/bundle/manifest.json'))
    expect(run()).toBe('unbundled')
  })
})
