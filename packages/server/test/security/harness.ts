/**
 * The hostile-input suite's harness: a real cookiejwt server listening on a free loopback port, a real SQLite file in
 * a temporary folder, users created through the stores with real (cheap, unless asked) password hashes, and a tiny
 * HTTP client on `node:http` that keeps every `Set-Cookie` line and never follows redirects.
 */
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createPasswordHashers,
  defineSettings,
  DEFAULT_SETTINGS,
  type AuthSettings,
  type AuthSettingsInput,
  type PasswordHashers,
} from '@cookiejwt/core'
import { sql } from 'kysely'
import { expect } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../../src/app.js'
import { serveOnAdapter } from '../adapters/index.js'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { assertTestUser, type TestUser } from '../helpers.js'

/** The HMAC key of every test server unless a test passes another one. */
export const TEST_KEY = 'hostile-suite-signing-key-0123456789-abcdefghijklmnop'
/** The browser origin the default CORS/CSRF settings trust. */
export const FRONTEND = 'http://localhost:3000'
/** A password every test user has. */
export const PASSWORD = 'correct horse battery staple'

/** Cheap but real hashes (PBKDF2-SHA256, 1000 rounds): the suite is about the HTTP surface, not hash cost. */
export function cheapHashers(): PasswordHashers {
  return createPasswordHashers({ default: 'pbkdf2_sha256', pbkdf2Iterations: 1000 })
}

/** A running server and everything a test needs to attack it and inspect its state. */
export interface TestServer {
  /** The Fastify app (only when the adapter under test is Fastify). */
  readonly app?: FastifyInstance
  readonly settings: AuthSettings
  readonly database: DatabaseHandle
  readonly users: KyselyUserStore
  readonly hashers: PasswordHashers
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly port: number
  readonly dir: string
  /** Creates a user through the store with a real hash of `password` (default {@link PASSWORD}). */
  createUser(username: string, options?: { password?: string; isActive?: boolean; email?: string }): Promise<TestUser>
  close(): Promise<void>
}

/** Starts a server on 127.0.0.1:0 with the given settings overrides (key, hashers and static root optional). */
export async function startServer(
  overrides: AuthSettingsInput = {},
  options: { hashers?: PasswordHashers; staticHtml?: string; deps?: Partial<AppDeps> } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-hostile-'))
  const settings = defineSettings({ signingKey: TEST_KEY, ...relaxedThrottle(), ...overrides })
  const database = await openDatabase(`sqlite:${join(dir, 'db.sqlite3')}`)
  const migrated = await migrateToLatest(database)
  if (migrated.error) throw migrated.error
  const hashers = options.hashers ?? cheapHashers()
  const users = new KyselyUserStore(database)
  let staticRoot: string | null = null
  if (options.staticHtml !== undefined) {
    staticRoot = join(dir, 'public')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(staticRoot)
    writeFileSync(join(staticRoot, 'index.html'), options.staticHtml)
  }
  // COOKIEJWT_TEST_ADAPTER picks the adapter (test/adapters/): the hostile suite holds on every one.
  const served = await serveOnAdapter(settings, { database, hashers, users, staticRoot, ...options.deps })
  const port = served.port
  return {
    ...(served.app ? { app: served.app } : {}),
    settings,
    database,
    users,
    hashers,
    origin: `http://127.0.0.1:${port}`,
    port,
    dir,
    async createUser(username, opts = {}) {
      const password = await hashers.hash(opts.password ?? PASSWORD)
      const user = await users.create(
        { username, password, email: opts.email ?? '', isActive: opts.isActive ?? true },
        new Date(),
      )
      assertTestUser(user)
      return user
    },
    async close() {
      await served.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** One HTTP exchange as the suite sees it. */
export interface Exchange {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** Every `Set-Cookie` line, verbatim. */
  readonly setCookies: string[]
  readonly text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: any
  /** Wall time of the exchange in milliseconds. */
  readonly ms: number
}

/** What `send` accepts. */
export interface SendOptions {
  method?: string
  headers?: Record<string, string | string[]>
  /** A value is sent as JSON (content type set unless given); a string or Buffer is sent verbatim. */
  body?: unknown
  /** Cookies as name → value. */
  cookies?: Record<string, string>
  /** Fail the exchange after this many milliseconds (a hang is a failure). @default 5000 */
  timeoutMs?: number
}

/** Sends one request over a fresh connection and reads the whole answer. */
export function send(server: { port: number }, path: string, options: SendOptions = {}): Promise<Exchange> {
  const headers: Record<string, string | string[]> = { connection: 'close', ...(options.headers ?? {}) }
  let payload: Buffer | undefined
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
      payload = Buffer.from(options.body as string)
    } else {
      payload = Buffer.from(JSON.stringify(options.body))
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json'
    }
    headers['content-length'] = String(payload.length)
  }
  if (options.cookies) {
    headers.cookie = Object.entries(options.cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ')
  }
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          const sc = res.headers['set-cookie']
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            setCookies: sc === undefined ? [] : Array.isArray(sc) ? sc : [sc],
            text,
            json,
            ms: performance.now() - started,
          })
        })
      },
    )
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(new Error(`request to ${path} hung`)))
    req.on('error', reject)
    if (payload) req.write(payload)
    req.end()
  })
}

/** Sends raw bytes over a TCP connection and returns what came back before the server closed (or the timeout). */
export function sendRaw(server: { port: number }, bytes: string | Buffer, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: server.port })
    const chunks: Buffer[] = []
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'))
    socket.setTimeout(timeoutMs, () => {
      socket.destroy()
    })
    socket.on('data', (c: Buffer) => chunks.push(c))
    // The server may reset the connection while we are still writing; what it answered first is what counts.
    socket.on('error', () => {})
    socket.on('close', done)
    socket.write(bytes)
  })
}

/** A parsed `Set-Cookie` line. */
export interface SetCookie {
  name: string
  value: string
  /** Attribute names lower-cased → value ('' for flags). */
  attrs: Record<string, string>
}

/** Parses a `Set-Cookie` line. */
export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';')
  const eq = pair.indexOf('=')
  const attrs: Record<string, string> = {}
  for (const part of rest) {
    const i = part.indexOf('=')
    const key = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase()
    attrs[key] = i < 0 ? '' : part.slice(i + 1).trim()
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs }
}

/** The cookies an exchange set, by name (last one wins). */
export function cookiesOf(exchange: Exchange): Record<string, SetCookie> {
  const out: Record<string, SetCookie> = {}
  for (const line of exchange.setCookies) {
    const c = parseSetCookie(line)
    out[c.name] = c
  }
  return out
}

/** Whether the exchange set a non-empty access or refresh token cookie (the one thing hostile input must never get). */
export function setsTokenCookie(exchange: Exchange, settings: AuthSettings): boolean {
  return exchange.setCookies.some((line) => {
    const c = parseSetCookie(line)
    return (c.name === settings.authCookie.name || c.name === settings.refreshCookie.name) && c.value !== ''
  })
}

/** A logged-in browser: the three cookies the login set, and the masked CSRF token from `GET /api/auth/csrf/`. */
export interface Session {
  access: string
  refresh: string
  csrf: string
  user: Record<string, unknown>
}

/** Logs in through the cookie flow as a browser on the trusted front end would. */
export async function login(server: TestServer, username: string, password = PASSWORD): Promise<Session> {
  const res = await send(server, '/api/auth/login/', {
    method: 'POST',
    headers: { origin: FRONTEND },
    body: { username, password },
  })
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${res.text}`)
  const c = cookiesOf(res)
  const access = c[server.settings.authCookie.name]?.value
  const refresh = c[server.settings.refreshCookie.name]?.value
  const csrf = c[server.settings.csrf.cookieName]?.value
  if (!access || !refresh || !csrf) throw new Error(`login as ${username} set no cookies`)
  return { access, refresh, csrf, user: res.json.user }
}

/** Logs in through the Bearer flow. */
export async function obtainPair(server: TestServer, username: string, password = PASSWORD): Promise<{ access: string; refresh: string }> {
  const res = await send(server, '/api/token/', { method: 'POST', body: { username, password } })
  if (res.status !== 200) throw new Error(`token for ${username} failed: ${res.status} ${res.text}`)
  return res.json
}

/** The cookie header of a session (access + CSRF, and refresh when asked). */
export function sessionCookies(server: TestServer, session: Session, withRefresh = false): Record<string, string> {
  return {
    [server.settings.authCookie.name]: session.access,
    [server.settings.csrf.cookieName]: session.csrf,
    ...(withRefresh ? { [server.settings.refreshCookie.name]: session.refresh } : {}),
  }
}

/** base64url of a string or bytes. */
export function b64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url')
}

/** Signs raw header and payload JSON text (bytes exactly as given) with HMAC; the key defaults to {@link TEST_KEY}. */
export function signRaw(headerJson: string, payloadJson: string, key: string | Buffer = TEST_KEY, hash = 'sha256'): string {
  const input = `${b64url(headerJson)}.${b64url(payloadJson)}`
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`
}

/** Claims of a valid token for a user, simplejwt's layout, which tests then spoil one at a time. */
export function claims(userId: number, type: 'access' | 'refresh' = 'access', extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return { token_type: type, exp: now + 300, iat: now, jti: randomJti(), user_id: userId, ...extra }
}

/** Signs claims as HS256 JSON with the test key (or another key/header). */
export function forge(
  payload: unknown,
  options: { header?: Record<string, unknown>; key?: string | Buffer } = {},
): string {
  return signRaw(JSON.stringify(options.header ?? { alg: 'HS256', typ: 'JWT' }), JSON.stringify(payload), options.key)
}

function randomJti(): string {
  return [...Array(32)].map(() => Math.floor(Math.random() * 16).toString(16)).join('')
}

/**
 * A snapshot of the database state hostile input must not change: every user row and the row count of every table
 * except throttling/attempt counters (those are meant to change on failed logins).
 */
export async function snapshot(server: TestServer): Promise<{ users: unknown[]; counts: Record<string, number> }> {
  const db = server.database.db
  const users = await db.selectFrom('auth_user').selectAll().orderBy('id').execute()
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
  const counts: Record<string, number> = {}
  for (const { name } of tables.rows) {
    if (/throttl|attempt|lockout|axes|failure|migration/i.test(name)) continue
    const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(name)}`.execute(db)
    counts[name] = Number(r.rows[0]?.n ?? 0)
  }
  return { users, counts }
}

/** The `{ detail, code }` error shape with the given code (and detail, exact or by pattern). */
export function errorBody(code: string, detail?: string | RegExp): Record<string, unknown> {
  return {
    code,
    detail: detail === undefined ? expect.any(String) : typeof detail === 'string' ? detail : expect.stringMatching(detail),
  }
}

/** Throttling limits high enough that a test's deliberate failures never lock it out (when throttling exists). */
export function relaxedThrottle(): AuthSettingsInput {
  if (!('throttle' in DEFAULT_SETTINGS)) return {}
  return {
    throttle: { failuresPerUsernameIp: 100_000, failuresPerUsername: 100_000, failuresPerIp: 1_000_000 },
  } as unknown as AuthSettingsInput
}

/** Whether the running core has a setting (features other engineers are adding land as settings). */
export function hasSetting(key: string): boolean {
  return key in DEFAULT_SETTINGS
}
