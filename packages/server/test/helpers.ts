import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createPasswordHashers,
  defineSettings,
  type AuthSettings,
  type AuthSettingsInput,
  type PasswordHashers,
  type User,
  type UserId,
} from '@cookiejwt/core'
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../src/app.js'
import { serveOnAdapter } from './adapters/index.js'
import { startNextServer } from './adapters/next.js'
import { openDatabase, type DatabaseHandle } from '../src/storage/db.js'
import { migrateToLatest } from '../src/storage/migrate.js'
import { KyselyTokenStore } from '../src/storage/tokens.js'
import { KyselyUserStore } from '../src/storage/users.js'
import { openTestBackend } from './services/dialects.js'

/** The signing key of the tests (64 characters, as the smoke checks use). */
export const TEST_KEY = 'Pt0t5s9GaC9iN9fv6J8HmZRG5yUpcIHAbuOao4KDSAueJtwj9mHrUF8f34RBeix8'
/** The password of every test user. */
export const PASSWORD = 'Zephyr-Quartz-Lantern-42'

/** A cheap hasher for tests that are not about hashing (Django's format, few iterations). */
export function fastHashers(): PasswordHashers {
  return createPasswordHashers({ default: 'pbkdf2_sha256', pbkdf2Iterations: 1000 })
}

/** A user of the default `auth_user` table, whose primary key is an integer. */
export type TestUser = User & { id: number }

/** The id of a user of the default table as the integer it is; throws on any other id (a UUID, say). */
export function integerId(id: UserId): number {
  if (typeof id !== 'number') throw new Error(`expected an integer user id, got ${JSON.stringify(id)}`)
  return id
}

/** Asserts that a user is one of the default table (an integer id); throws otherwise. */
export function assertTestUser(user: User): asserts user is TestUser {
  integerId(user.id)
}

/** A running server on a real port with a real SQLite file, and handles to its stores. */
export interface TestServer {
  url: string
  origin: string
  /** The Fastify app (only when the adapter under test is Fastify). */
  app?: FastifyInstance
  settings: AuthSettings
  database: DatabaseHandle
  users: KyselyUserStore
  tokens: KyselyTokenStore
  hashers: PasswordHashers
  createUser(username: string, extra?: { password?: string; isActive?: boolean; email?: string }): Promise<TestUser>
  close(): Promise<void>
}

/** Starts the app on 127.0.0.1 on a free port with a fresh SQLite database in a temporary folder. */
export async function startTestServer(
  input: AuthSettingsInput = {},
  deps: Partial<Omit<AppDeps, 'database'>> = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-test-'))
  // COOKIEJWT_TEST_BACKEND=postgres: PostgreSQL + Redis (see test/services/dialects.ts); default SQLite.
  const backend = await openTestBackend()
  const database = backend?.database ?? (await openDatabase(`sqlite:${join(dir, 'db.sqlite3')}`))
  const migrated = await migrateToLatest(database)
  if (migrated.error) throw migrated.error
  const settings = defineSettings({ signingKey: TEST_KEY, ...input })
  // A test that names a hasher in its settings gets it (the service builds the same one); else a cheap PBKDF2.
  const hashers =
    deps.hashers ??
    (input.passwordHasher !== undefined || input.passwordHasherOptions !== undefined
      ? createPasswordHashers({ ...(settings.passwordHasherOptions as object), default: settings.passwordHasher })
      : fastHashers())
  // COOKIEJWT_TEST_ADAPTER=express|hono: the same service behind that adapter's example app (test/adapters/);
  // next: the example's production build in its own process, configured through the environment.
  const served =
    process.env.COOKIEJWT_TEST_ADAPTER === 'next'
      ? await startNextServer({ input, signingKey: settings.signingKey, databaseUrl: databaseUrlOf(backend, dir), database, deps, dataDir: dir })
      : await serveOnAdapter(settings, { database, hashers, ...backend?.deps, ...deps })
  const { url } = served
  const app = 'app' in served ? served.app : undefined
  const users = new KyselyUserStore(database)
  return {
    url,
    origin: url,
    ...(app ? { app } : {}),
    settings,
    database: 'database' in served ? served.database : database,
    users,
    tokens: new KyselyTokenStore(database),
    hashers,
    createUser: async (username, extra = {}) => {
      const user = await users.create(
        {
          username,
          email: extra.email ?? `${username}@example.com`,
          isActive: extra.isActive ?? true,
          password: await hashers.hash(extra.password ?? PASSWORD),
        },
        new Date(),
      )
      assertTestUser(user)
      return user
    },
    close: async () => {
      await served.close()
      await backend?.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function databaseUrlOf(backend: unknown, dir: string): string {
  if (backend) throw new Error('COOKIEJWT_TEST_ADAPTER=next runs on SQLite only (unset COOKIEJWT_TEST_BACKEND)')
  return `sqlite:${join(dir, 'db.sqlite3')}`
}

/** A parsed `Set-Cookie`. */
export interface SetCookie {
  name: string
  value: string
  attributes: Record<string, string | true>
  raw: string
}

/** Parses one `Set-Cookie` line (attribute names lower-cased). */
export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';')
  const eq = pair.indexOf('=')
  const attributes: Record<string, string | true> = {}
  for (const part of rest) {
    const i = part.indexOf('=')
    const key = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase()
    if (key) attributes[key] = i < 0 ? true : part.slice(i + 1).trim()
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw: line }
}

/** A response with its body read and cookies parsed. */
export interface Res {
  status: number
  headers: Headers
  text: string
  json: any
  cookies: SetCookie[]
  cookie(name: string): SetCookie | undefined
}

/** A browser-like client: a cookie jar (name → value, ignoring paths), optional Origin, X-CSRFToken on unsafe methods. */
export class Client {
  readonly jar = new Map<string, string>()
  readonly base: string
  readonly options: { origin?: string; csrf?: boolean }
  constructor(base: string, options: { origin?: string; csrf?: boolean } = {}) {
    this.base = base
    this.options = options
  }

  async request(
    method: string,
    path: string,
    init: { json?: unknown; body?: string; headers?: Record<string, string>; csrf?: boolean; cookies?: boolean } = {},
  ): Promise<Res> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) }
    if (init.json !== undefined) headers['content-type'] ??= 'application/json'
    if (this.options.origin) headers.origin ??= this.options.origin
    if (init.cookies !== false && this.jar.size > 0) {
      headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
    }
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method)
    const csrf = this.jar.get('csrftoken')
    if (unsafe && (init.csrf ?? this.options.csrf ?? true) && csrf) headers['x-csrftoken'] ??= csrf
    const res = await send(this.base, method, path, { headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body })
    for (const c of res.cookies) {
      if (c.attributes['max-age'] === '0' || c.value === '') this.jar.delete(c.name)
      else this.jar.set(c.name, c.value)
    }
    return res
  }

  get(path: string, init?: Parameters<Client['request']>[2]) {
    return this.request('GET', path, init)
  }
  post(path: string, json: unknown = {}, init: Parameters<Client['request']>[2] = {}) {
    return this.request('POST', path, { json, ...init })
  }
  patch(path: string, json: unknown, init: Parameters<Client['request']>[2] = {}) {
    return this.request('PATCH', path, { json, ...init })
  }
}

/** Sends one request with fetch and reads everything. */
export async function send(
  base: string,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | undefined } = {},
): Promise<Res> {
  const response = await fetch(base + path, {
    method,
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: init.body } : {}),
    redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
  })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const cookies = response.headers.getSetCookie().map(parseSetCookie)
  return {
    status: response.status,
    headers: response.headers,
    text,
    json,
    cookies,
    cookie: (name) => cookies.filter((c) => c.name === name).at(-1),
  }
}

/** Logs in through the cookie flow and returns the client holding the cookies. */
export async function signIn(server: TestServer, username: string, password = PASSWORD): Promise<{ client: Client; res: Res }> {
  const client = new Client(server.url)
  const res = await client.post('/api/auth/login/', { username, password })
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${res.text}`)
  return { client, res }
}

/** Decodes a JWT payload without verifying it. */
export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
}
