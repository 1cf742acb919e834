import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { defineSettings, type AuthSettings, type AuthSettingsInput, type User } from '@cookiejwt/core'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDeps } from '../../src/app.js'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { DatabaseThrottleStore } from '../../src/throttle/store.js'
import { KyselyTokenStore } from '../../src/storage/tokens.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { fastHashers, parseSetCookie, PASSWORD, TEST_KEY, type Res } from '../helpers.js'

/** A real listening server on a real SQLite file, with a movable clock (tokens and throttling windows) and captured warn logs. */
export interface SessionServer {
  url: string
  app: FastifyInstance
  settings: AuthSettings
  database: DatabaseHandle
  databaseUrl: string
  tokens: KyselyTokenStore
  users: KyselyUserStore
  logs: string[]
  /** Moves the app's clock forward by `seconds`. */
  advance(seconds: number): void
  createUser(username: string, password?: string): Promise<User>
  close(): Promise<void>
}

export async function startSessionServer(
  input: AuthSettingsInput = {},
  deps: Partial<Omit<AppDeps, 'database'>> = {},
): Promise<SessionServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-sessions-'))
  const databaseUrl = `sqlite:${join(dir, 'db.sqlite3')}`
  const database = await openDatabase(databaseUrl)
  const migrated = await migrateToLatest(database)
  if (migrated.error) throw migrated.error
  const settings = defineSettings({ signingKey: TEST_KEY, ...input })
  const hashers = fastHashers()
  const logs: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk))
      callback()
    },
  })
  let offset = 0
  const app = await buildApp(settings, {
    database,
    hashers,
    logger: { level: 'warn', stream },
    now: () => new Date(Date.now() + offset),
    throttleStore: new DatabaseThrottleStore(database, { now: () => Date.now() + offset }),
    ...deps,
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const users = new KyselyUserStore(database)
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    settings,
    database,
    databaseUrl,
    tokens: new KyselyTokenStore(database),
    users,
    logs,
    advance: (seconds) => {
      offset += seconds * 1000
    },
    createUser: async (username, password = PASSWORD) =>
      users.create({ username, email: `${username}@example.com`, password: await hashers.hash(password) }, new Date()),
    close: async () => {
      await app.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Sends one request from a chosen loopback source address (127.0.0.0/8), as a different client IP. */
export function sendFrom(
  ip: string,
  base: string,
  method: string,
  path: string,
  init: { json?: unknown; headers?: Record<string, string> } = {},
): Promise<Res> {
  const url = new URL(path, base)
  const body = init.json === undefined ? undefined : JSON.stringify(init.json)
  const headers: Record<string, string> = { ...(init.headers ?? {}) }
  if (body !== undefined) headers['content-type'] = 'application/json'
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method, headers, localAddress: ip, agent: false },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (c: Buffer) => chunks.push(c))
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          const raw = response.headers['set-cookie'] ?? []
          const cookies = raw.map(parseSetCookie)
          const h = new Headers()
          for (const [k, v] of Object.entries(response.headers)) if (typeof v === 'string') h.set(k, v)
          resolve({
            status: response.statusCode ?? 0,
            headers: h,
            text,
            json,
            cookies,
            cookie: (name) => cookies.filter((c) => c.name === name).at(-1),
          })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

export { PASSWORD }
