import { spawn, spawnSync } from 'node:child_process'
import { request } from 'node:http'
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PASSWORD, TEST_KEY } from '../helpers.js'

const BIN = resolve(import.meta.dirname, '../../bin/cookiejwt.js')
const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-cli-'))
const baseEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DATABASE_URL: `sqlite:${join(dir, 'db.sqlite3')}`,
  COOKIEJWT_SIGNING_KEY: TEST_KEY,
  COOKIEJWT_PASSWORD_HASHER: 'pbkdf2_sha256',
}
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function cli(args: string[], env: Record<string, string | undefined> = {}, input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...baseEnv, ...env }, cwd: dir, input, encoding: 'utf8', timeout: 60_000 })

  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe("the cookiejwt CLI", { timeout: 90_000 }, () => {
  it('prints help and refuses unknown commands', () => {
    const help = cli(['--help'])
    expect(help.code).toBe(0)
    for (const name of ['migrate', 'createsuperuser', 'changepassword', 'flushexpiredtokens', 'serve']) expect(help.stdout).toContain(name)
    expect(cli(['frobnicate']).code).toBe(2)
    expect(cli(['migrate', '--help']).code).toBe(0)
  })

  it('migrates idempotently', () => {
    const first = cli(['migrate'])
    expect(first.code, first.stderr).toBe(0)
    // The database holds password hashes: only its owner may read it.
    expect(statSync(join(dir, 'db.sqlite3')).mode & 0o777).toBe(0o600)
    const second = cli(['migrate'])
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/No migrations to apply/)
  })

  it('creates a superuser with --noinput and refuses bad input with a one-line reason', () => {
    const ok = cli(['createsuperuser', '--username', 'root', '--email', 'root@example.com', '--noinput'], { COOKIEJWT_SUPERUSER_PASSWORD: PASSWORD })
    expect(ok.code, ok.stderr).toBe(0)
    const duplicate = cli(['createsuperuser', '--username', 'root', '--noinput'], { COOKIEJWT_SUPERUSER_PASSWORD: PASSWORD })
    expect(duplicate.code).toBe(1)
    expect(duplicate.stderr.trim().split('\n')).toHaveLength(1)
    expect(duplicate.stderr).toMatch(/already taken/)
    const weak = cli(['createsuperuser', '--username', 'weak', '--noinput'], { COOKIEJWT_SUPERUSER_PASSWORD: '1234' })
    expect(weak.code).toBe(1)
    expect(weak.stderr).toMatch(/too short/)
    const missing = cli(['createsuperuser', '--username', 'nopw', '--noinput'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/COOKIEJWT_SUPERUSER_PASSWORD/)
    const badEmail = cli(['createsuperuser', '--username', 'x1', '--email', 'nope', '--noinput'], { COOKIEJWT_SUPERUSER_PASSWORD: PASSWORD })
    expect(badEmail.code).toBe(1)
  })

  it('creates a superuser interactively from piped answers', () => {
    const r = cli(['createsuperuser'], {}, `piped\npiped@example.com\n${PASSWORD}\n${PASSWORD}\n`)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain(PASSWORD)
  })

  it('changes a password with changepassword', () => {
    const r = cli(['changepassword', 'piped'], {}, 'Cobalt-Meadow-Ferry-93\nCobalt-Meadow-Ferry-93\n')
    expect(r.code, r.stderr).toBe(0)
    expect(cli(['changepassword', 'nobody'], {}, 'x\nx\n').code).toBe(1)
  })

  it('flushes expired tokens and finished throttling windows, and nothing else', () => {
    const db = new Database(join(dir, 'db.sqlite3'))
    db.prepare('insert into cookiejwt_throttle (key, count, reset_at) values (?, ?, ?), (?, ?, ?)').run('old', 3, 1, 'live', 3, Date.now() + 600_000)
    db.close()
    const r = cli(['flushexpiredtokens'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Deleted \d+ expired tokens?, \d+ expired session\(s\) and 1 finished throttling window/)
    const after = new Database(join(dir, 'db.sqlite3'))
    expect(after.prepare('select key from cookiejwt_throttle').all()).toEqual([{ key: 'live' }])
    after.close()
  })

  it('refuses a short signing key at start-up with a message naming it', () => {
    const r = cli(['serve', '--port', '0'], { COOKIEJWT_SIGNING_KEY: 'short' })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/signingKey.*32 bytes/)
  })

  it('generates a signing key once, mode 0600, when none is set', () => {
    const env = { COOKIEJWT_SIGNING_KEY: undefined, COOKIEJWT_DATA_DIR: join(dir, 'data') }
    expect(cli(['migrate'], env).code).toBe(0)
    const file = join(dir, 'data', 'signing_key')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const key = readFileSync(file, 'utf8')
    expect(cli(['migrate'], env).code).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(key)
  })

  it('serves, finishes in-flight requests on SIGTERM and exits 0', async () => {
    // A slow hash (3M PBKDF2 iterations) keeps the login in flight on the thread pool while SIGTERM arrives.
    const slow = { COOKIEJWT_SETTINGS: JSON.stringify({ passwordHasherOptions: { pbkdf2Iterations: 3_000_000 } }) }
    expect(cli(['createsuperuser', '--username', 'slow', '--noinput'], { ...slow, COOKIEJWT_SUPERUSER_PASSWORD: PASSWORD }).code).toBe(0)
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env: { ...baseEnv, ...slow, LOG_LEVEL: 'info' }, cwd: dir })
    let output = ''
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${output}`)), 60_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
        if (match?.[1]) {
          clearTimeout(timer)
          resolveUrl(match[1])
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
    })
    const { port } = new URL(url)
    const response = new Promise<{ status: number; body: string }>((resolveRes, reject) => {
      const body = JSON.stringify({ username: 'slow', password: PASSWORD })
      const req = request({ host: '127.0.0.1', port: Number(port), method: 'POST', path: '/api/auth/login/', agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = ''
        res.on('data', (c) => (text += c))
        res.on('end', () => resolveRes({ status: res.statusCode ?? 0, body: text }))
      })
      req.on('error', reject)
      req.end(body, () => setTimeout(() => child.kill('SIGTERM'), 500))
    })
    const res = await response
    expect(res.status).toBe(200)
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c))))
    expect(code).toBe(0)
    expect(output).toMatch(/SIGTERM received/)
    expect(output).not.toContain(PASSWORD)
    // The serve process's own log carries the security event of that login, and no token.
    const records = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(records.find((r) => r.event === 'login_succeeded')).toMatchObject({ security: true, level: 30, ip: '127.0.0.1' })
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./)
  }, 90_000)
})
