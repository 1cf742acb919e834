// What @cookiejwt/next adds beyond the contract, on examples/next's production build under `next start`: the edge
// middleware, getUser() in a server component, an application route with authenticate(), the client address under
// `next start` (a forged X-Forwarded-For gains nothing), and the single-page app route. The contract itself runs in
// test/contract with COOKIEJWT_TEST_ADAPTER=next.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPasswordHashers } from '@cookiejwt/core'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { PASSWORD, send, TEST_KEY, type Res } from '../helpers.js'
import { buildNextExample, startNextServer, type NextServer } from './next.js'

let dir: string
let database: DatabaseHandle
let server: NextServer
let users: KyselyUserStore

beforeAll(async () => {
  buildNextExample()
  dir = mkdtempSync(join(tmpdir(), 'cookiejwt-next-app-'))
  const staticRoot = join(dir, 'spa')
  mkdirSync(join(staticRoot, 'assets'), { recursive: true })
  writeFileSync(join(staticRoot, 'index.html'), '<!doctype html><title>spa</title>')
  writeFileSync(join(staticRoot, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'not for the web')
  const url = `sqlite:${join(dir, 'db.sqlite3')}`
  database = await openDatabase(url)
  const migrated = await migrateToLatest(database)
  if (migrated.error) throw migrated.error
  users = new KyselyUserStore(database)
  const hashers = createPasswordHashers({ default: 'pbkdf2_sha256', pbkdf2Iterations: 1000 })
  for (const username of ['alice', 'bob']) {
    await users.create({ username, email: `${username}@example.com`, isActive: true, password: await hashers.hash(PASSWORD) }, new Date())
  }
  server = await startNextServer({
    input: { throttle: { failuresPerIp: 3, failuresPerUsername: 100, failuresPerUsernameIp: 100 } },
    signingKey: TEST_KEY,
    databaseUrl: url,
    database,
    deps: { staticRoot },
    dataDir: dir,
  })
}, 600_000)

afterAll(async () => {
  await server?.close()
  await database?.destroy()
  rmSync(dir, { recursive: true, force: true })
})

async function accessCookie(username: string): Promise<string> {
  const res = await send(server.url, 'POST', '/api/auth/login/', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  expect(res.status).toBe(200)
  return `access_token=${res.cookie('access_token')!.value}`
}

describe('the edge middleware and getUser()', () => {
  it('redirects a visitor without an access cookie to the login page, with the path asked for', async () => {
    for (const cookie of [undefined, 'access_token=garbage.token.value']) {
      const res = await send(server.url, 'GET', '/account?tab=2', cookie ? { headers: { cookie } } : {})
      expect(res.status).toBe(307)
      expect(new URL(res.headers.get('location')!).pathname + new URL(res.headers.get('location')!).search).toBe('/login?next=%2Faccount%3Ftab%3D2')
    }
  })

  it('lets a valid access cookie through to the server component, which names the user', async () => {
    const res = await send(server.url, 'GET', '/account', { headers: { cookie: await accessCookie('alice') } })
    expect(res.status).toBe(200)
    expect(res.text).toContain('Signed in as <!-- -->alice')
  })

  it('is only a gate: a deactivated user passes the middleware (no database there) but getUser() says null', async () => {
    const cookie = await accessCookie('bob')
    const bob = await users.findByUsername('bob')
    await users.update(bob!.id, { isActive: false })
    const res = await send(server.url, 'GET', '/account', { headers: { cookie } })
    // The page's own redirect (getUser() is null), not the middleware's: that one would have no `next` of its own.
    expect(res.status).toBe(307)
    expect(res.text).not.toContain('Signed in as')
    expect(res.headers.get('location')).toMatch(/\/login\?next=\/account$/)
  })
})

describe("an application's own route handler with authenticate()", () => {
  it('answers 401 in the DRF shape without credentials and the user with them', async () => {
    const anonymous = await send(server.url, 'GET', '/api/hello/')
    expect(anonymous.status).toBe(401)
    expect(anonymous.json).toEqual({ detail: 'Authentication credentials were not provided.', code: 'not_authenticated' })
    const alice = await users.findByUsername('alice')
    const res = await send(server.url, 'GET', '/api/hello/', { headers: { cookie: await accessCookie('alice') } })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ hello: alice!.id })
  })
})

describe('client address under next start (no trusted proxy)', () => {
  it('gives a forged X-Forwarded-For no fresh throttling bucket', async () => {
    const attempt = (i: number): Promise<Res> =>
      send(server.url, 'POST', '/api/auth/login/', {
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}` },
        body: JSON.stringify({ username: `nobody-${i}`, password: 'wrong-password' }),
      })
    const statuses: number[] = []
    for (let i = 1; i <= 5; i++) statuses.push((await attempt(i)).status)
    // failuresPerIp is 3: the fourth failure is refused although every request claimed another address.
    expect(statuses).toEqual([401, 401, 401, 429, 429])
  })
})

describe('the single-page app route', () => {
  it('serves index.html for app paths and files under the root, with the app headers', async () => {
    for (const path of ['/', '/profile', '/settings/security']) {
      const res = await send(server.url, 'GET', path)
      expect(res.status).toBe(200)
      expect(res.text).toBe('<!doctype html><title>spa</title>')
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/)
      expect(res.headers.get('x-frame-options')).toBe('DENY')
    }
    const asset = await send(server.url, 'GET', '/assets/app.js')
    expect(asset.text).toBe('console.log(1)')
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/)
  })

  it('never serves a file outside the root', async () => {
    for (const path of ['/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00']) {
      const res = await send(server.url, 'GET', path)
      expect(res.text).not.toContain('not for the web')
    }
  })
})
