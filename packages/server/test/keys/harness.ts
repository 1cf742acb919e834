import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPasswordHashers, defineSettings, type AuthSettings, type AuthSettingsInput } from '@cookiejwt/core'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDeps } from '../../src/app.js'
import { openDatabase } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { KyselyUserStore } from '../../src/storage/users.js'

/** An HMAC key long enough for the settings check. */
export const HMAC_KEY = 'k-harness-0123456789abcdefghijklmnopqrstuvwxyzABCDEF'
/** The password of every test user. */
export const PASSWORD = 'Zephyr-Quartz-Lantern-42'

/** A server listening on 127.0.0.1, port 0, with a real SQLite file. */
export interface Running {
  url: string
  app: FastifyInstance
  settings: AuthSettings
  dir: string
  close(): Promise<void>
}

/** Starts the app; pass `dir` to share the SQLite file of an earlier server (key rotation across restarts). */
export async function startServer(
  input: AuthSettingsInput,
  options: { dir?: string; user?: string; deps?: Partial<Omit<AppDeps, 'database'>> } = {},
): Promise<Running> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'cookiejwt-k-'))
  const database = await openDatabase(`sqlite:${join(dir, 'db.sqlite3')}`)
  const migrated = await migrateToLatest(database)
  if (migrated.error) throw migrated.error
  const settings = defineSettings(input)
  const hashers = createPasswordHashers({ default: 'pbkdf2_sha256', pbkdf2Iterations: 1000 })
  if (options.user) {
    const users = new KyselyUserStore(database)
    if (!(await users.findByUsername(options.user))) {
      await users.create({ username: options.user, email: `${options.user}@example.com`, password: await hashers.hash(PASSWORD) }, new Date())
    }
  }
  const app = await buildApp(settings, { database, hashers, ...(options.deps ?? {}) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return { url: `http://127.0.0.1:${port}`, app, settings, dir, close: () => app.close() }
}

/** A response with its `Set-Cookie` lines split out. */
export interface Answer {
  status: number
  headers: Headers
  json: any
  setCookies: string[]
}

/** Sends one request with fetch; `cookies` become the Cookie header. */
export async function call(
  url: string,
  method: string,
  path: string,
  options: { body?: unknown; cookies?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (options.cookies) headers.cookie = Object.entries(options.cookies).map(([k, v]) => `${k}=${v}`).join('; ')
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  })
  const text = await res.text()
  let json: unknown = null
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: res.status, headers: res.headers, json, setCookies: res.headers.getSetCookie() }
}

/** The value a `Set-Cookie` list gives a cookie name (the first non-clearing one). */
export function cookieValue(setCookies: string[], name: string): string | undefined {
  for (const line of setCookies) {
    if (line.startsWith(`${name}=`) && !/Max-Age=0/i.test(line)) return line.slice(name.length + 1).split(';')[0]
  }
  return undefined
}

/** Logs in and returns the JWT cookies by name. */
export async function login(url: string, username: string, settings: AuthSettings): Promise<Record<string, string>> {
  const res = await call(url, 'POST', '/api/auth/login/', { body: { username, password: PASSWORD } })
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.json)}`)
  const out: Record<string, string> = {}
  for (const name of [settings.authCookie.name, settings.refreshCookie.name]) {
    const value = cookieValue(res.setCookies, name)
    if (value) out[name] = value
  }
  return out
}

/** The decoded header of a JWT. */
export function jwtHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}
