import { defineSettings, type AuthSettingsInput, type User } from '@cookiejwt/core'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { Client, fastHashers, PASSWORD, send, TEST_KEY, type Res } from '../helpers.js'
import { openTestDatabase, TEST_DIALECTS, type TestDatabase } from '../services/dialects.js'

/** auth_user ids are integers (the admin runs on Django's table only). */
type AdminTestUser = User & { readonly id: number }

const hashers = fastHashers()
const ADMIN_USER_KEYS = ['date_joined', 'email', 'first_name', 'id', 'is_active', 'is_staff', 'is_superuser', 'last_login', 'last_name', 'username']

interface AdminServer {
  url: string
  database: TestDatabase
  users: KyselyUserStore
  make(username: string, flags?: { staff?: boolean; superuser?: boolean; active?: boolean }): Promise<AdminTestUser>
  /** A signed-in browser (cookies + CSRF header) for `username`. */
  browser(username: string, password?: string): Promise<Client>
  /** A second server process on the same database. */
  another(input?: AuthSettingsInput): Promise<{ url: string; close(): Promise<void> }>
  close(): Promise<void>
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
}

async function startAdminServer(dialect: (typeof TEST_DIALECTS)[number], input: AuthSettingsInput = {}): Promise<AdminServer> {
  const database = await openTestDatabase(dialect)
  const settings = defineSettings({ signingKey: TEST_KEY, ...input })
  // The app closes the database it is given; the test keeps its own handle to the same database.
  const app = await buildApp(settings, { database: await reopen(database), hashers, emailBackend: null })
  const url = await listen(app)
  const users = new KyselyUserStore(database)
  const others: FastifyInstance[] = []
  return {
    url,
    database,
    users,
    make: async (username, flags = {}) =>
      (await users.create(
        {
          username,
          email: `${username}@example.com`,
          isStaff: flags.staff ?? flags.superuser ?? false,
          isSuperuser: flags.superuser ?? false,
          isActive: flags.active ?? true,
          password: await hashers.hash(PASSWORD),
        },
        new Date(),
      )) as AdminTestUser,
    browser: async (username, password = PASSWORD) => {
      const client = new Client(url)
      const res = await client.post('/api/auth/login/', { username, password })
      if (res.status !== 200) throw new Error(`login as ${username}: ${res.status} ${res.text}`)
      return client
    },
    another: async (extra = {}) => {
      const other = await buildApp(defineSettings({ signingKey: TEST_KEY, ...input, ...extra }), {
        database: await reopen(database),
        hashers,
        emailBackend: null,
      })
      others.push(other)
      return { url: await listen(other), close: () => other.close() }
    },
    close: async () => {
      for (const other of others) await other.close().catch(() => {})
      await app.close()
      await database.destroy()
    },
  }
}

async function reopen(database: TestDatabase) {
  const { openDatabase } = await import('../../src/storage/db.js')
  return openDatabase(database.url)
}

/** The same browser's cookies, used by another server (a load balancer sends the next request elsewhere). */
function sameBrowserAt(client: Client, url: string): Client {
  const other = new Client(url)
  for (const [k, v] of client.jar) other.jar.set(k, v)
  return other
}

function expectError(res: Res, status: number, code?: string): void {
  expect(res.status, res.text).toBe(status)
  if (code) expect(res.json.code).toBe(code)
}

for (const dialect of TEST_DIALECTS) {
  describe(`admin API (${dialect})`, () => {
    let server: AdminServer
    afterEach(() => server.close())

    it('answers anonymous 401 and a signed-in non-staff user 403 permission_denied on every endpoint', async () => {
      server = await startAdminServer(dialect)
      const plain = await server.make('plain')
      const user = await server.browser('plain')
      const endpoints: [string, string, unknown?][] = [
        ['GET', '/api/admin/users/'],
        ['POST', '/api/admin/users/', { username: 'x', password: 'Ample-Pass-1234' }],
        ['GET', `/api/admin/users/${plain.id}/`],
        ['PATCH', `/api/admin/users/${plain.id}/`, { first_name: 'x' }],
        ['DELETE', `/api/admin/users/${plain.id}/`],
        ['POST', `/api/admin/users/${plain.id}/password/`, { password: 'Ample-Pass-1234' }],
        ['GET', `/api/admin/users/${plain.id}/sessions/`],
        ['DELETE', `/api/admin/users/${plain.id}/sessions/${'a'.repeat(32)}/`],
        ['POST', `/api/admin/users/${plain.id}/sessions/revoke-all/`],
        ['GET', '/api/admin/audit/'],
      ]
      for (const [method, path, json] of endpoints) {
        const anonymous = await new Client(server.url).request(method, path, json === undefined ? {} : { json })
        expectError(anonymous, 401, 'not_authenticated')
        const refused = await user.request(method, path, json === undefined ? {} : { json })
        expect(refused.json, `${method} ${path}`).toEqual({ detail: 'You do not have permission to perform this action.', code: 'permission_denied' })
        expect(refused.status).toBe(403)
      }
      expect((await server.users.findById(plain.id))?.firstName).toBe('')
    })

    it('lists users for staff as AdminUser (never a password hash), with search, filters, ordering and pages', async () => {
      server = await startAdminServer(dialect)
      await server.make('root', { superuser: true })
      await server.make('staffer', { staff: true })
      for (const name of ['ann', 'a_b', 'axb', 'bea']) await server.make(name)
      const staff = await server.browser('staffer')
      const page = await staff.get('/api/admin/users/?page_size=2')
      expect(page.status).toBe(200)
      expect(page.json).toMatchObject({ count: 6, previous: null, next: expect.any(String) })
      expect(page.json.results.map((u: { username: string }) => u.username)).toEqual(['a_b', 'ann'])
      expect(Object.keys(page.json.results[0]).sort()).toEqual(ADMIN_USER_KEYS)
      expect(page.text).not.toContain('pbkdf2')
      const second = await staff.get(`/api/admin/users/?page_size=2&cursor=${page.json.next}`)
      expect(second.json.results.map((u: { username: string }) => u.username)).toEqual(['axb', 'bea'])
      expect(second.json.previous).toEqual(expect.any(String))
      expect((await staff.get('/api/admin/users/?search=a_')).json.results.map((u: { username: string }) => u.username)).toEqual(['a_b'])
      expect((await staff.get('/api/admin/users/?is_staff=true&ordering=-id')).json.results.map((u: { username: string }) => u.username)).toEqual([
        'staffer',
        'root',
      ])
      expect((await staff.get('/api/admin/users/?search=&is_active=&ordering=')).json.count).toBe(6)
    })

    it('answers 400 with a field error for every malformed filter, ordering, page size or cursor — never a 500', async () => {
      server = await startAdminServer(dialect)
      await server.make('root', { superuser: true })
      const root = await server.browser('root')
      const bad: [string, string][] = [
        ['is_active=maybe', 'is_active'],
        ['is_staff=2', 'is_staff'],
        ['ordering=password', 'ordering'],
        ['ordering=-is_superuser', 'ordering'],
        ['page_size=0', 'page_size'],
        ['page_size=abc', 'page_size'],
        ['cursor=%00%01', 'cursor'],
        ['cursor=eyJvIjoidXNlcm5hbWUiLCJrIjoxLCJpIjoxLCJkIjoibiJ9', 'cursor'],
        [`search=${'x'.repeat(300)}`, 'search'],
        ['search=%00', 'search'],
      ]
      for (const [query, field] of bad) {
        const res = await root.get(`/api/admin/users/?${query}`)
        expect(res.status, query).toBe(400)
        expect(Object.keys(res.json), query).toContain(field)
      }
      for (const query of ['actor=abc', 'target=-1', 'action=drop', 'cursor=!!', 'page_size=-5']) {
        expectError(await root.get(`/api/admin/audit/?${query}`), 400)
      }
      for (const junk of ['%E0%A4%A', 'ordering=%F0%9F%92%A9', 'cursor=' + 'A'.repeat(5000), 'search=%25%5F%5C', 'is_active=true&is_active=false']) {
        const res = await root.get(`/api/admin/users/?${junk}`)
        expect(res.status, junk).toBeLessThan(500)
      }
    })

    it('creates users (201), refusing a taken username, unknown fields and weak passwords with 400', async () => {
      server = await startAdminServer(dialect)
      await server.make('root', { superuser: true })
      await server.make('staffer', { staff: true })
      const root = await server.browser('root')
      const created = await root.post('/api/admin/users/', { username: 'newbie', password: 'Ample-Pass-1234', first_name: 'New', is_staff: true })
      expect(created.status, created.text).toBe(201)
      expect(created.json).toMatchObject({ username: 'newbie', first_name: 'New', is_active: true, is_staff: true, is_superuser: false, last_login: null })
      expect(Object.keys(created.json).sort()).toEqual(ADMIN_USER_KEYS)
      expect((await root.post('/api/admin/users/', { username: 'newbie', password: 'Ample-Pass-1234' })).json).toEqual({
        username: ['A user with that username already exists.'],
      })
      const weak = await root.post('/api/admin/users/', { username: 'other', password: 'other123' })
      expect(weak.status).toBe(400)
      expect(weak.json.password).toEqual(expect.arrayContaining([expect.stringContaining('too')]))
      expectError(await root.post('/api/admin/users/', { username: 'x', password: 'Ample-Pass-1234', password_hash: 'x' }), 400)
      expectError(await root.post('/api/admin/users/', { username: 'x' }), 400)
      expectError(await root.request('POST', '/api/admin/users/', { body: '{"username":', headers: { 'content-type': 'application/json' } }), 400, 'parse_error')
      const staff = await server.browser('staffer')
      expectError(await staff.post('/api/admin/users/', { username: 'boss', password: 'Ample-Pass-1234', is_superuser: true }), 403, 'permission_denied')
      expect((await staff.post('/api/admin/users/', { username: 'helper', password: 'Ample-Pass-1234' })).status).toBe(201)
      const login = await new Client(server.url).post('/api/auth/login/', { username: 'newbie', password: 'Ample-Pass-1234' })
      expect(login.status).toBe(200)
    })

    it('reads and updates a user; 404 for unknown ids; PATCH refuses password and username fields', async () => {
      server = await startAdminServer(dialect)
      await server.make('root', { superuser: true })
      const bob = await server.make('bob')
      const root = await server.browser('root')
      expect((await root.get(`/api/admin/users/${bob.id}/`)).json).toMatchObject({ id: bob.id, username: 'bob', is_active: true })
      for (const id of ['99999', '0', '-1', 'abc', '1e3', '01', '9'.repeat(30)]) {
        expectError(await root.get(`/api/admin/users/${id}/`), 404, 'not_found')
        expectError(await root.patch(`/api/admin/users/${id}/`, { first_name: 'x' }), 404, 'not_found')
      }
      const updated = await root.patch(`/api/admin/users/${bob.id}/`, { first_name: 'Bob', email: 'bob@example.org' })
      expect(updated.json).toMatchObject({ first_name: 'Bob', email: 'bob@example.org' })
      expect((await root.patch(`/api/admin/users/${bob.id}/`, { password: 'x' })).json).toEqual({ password: ['Unknown field.'] })
      expectError(await root.patch(`/api/admin/users/${bob.id}/`, { username: 'robert' }), 400)
      expectError(await root.patch(`/api/admin/users/${bob.id}/`, { email: 'not-an-email' }), 400)
      expectError(await root.patch(`/api/admin/users/${bob.id}/`, { is_active: 'no' }), 400)
      // CSRF as everywhere: a cookie-authenticated PATCH without the token is refused.
      const noCsrf = await root.request('PATCH', `/api/admin/users/${bob.id}/`, { json: { first_name: 'X' }, csrf: false })
      expectError(noCsrf, 403, 'permission_denied')
      expect(noCsrf.json.detail).toMatch(/^CSRF Failed/)
      expect((await server.users.findById(bob.id))?.firstName).toBe('Bob')
    })

    it('enforces the self and last-superuser rules over HTTP', async () => {
      server = await startAdminServer(dialect)
      const rootUser = await server.make('root', { superuser: true })
      const root = await server.browser('root')
      expect((await root.patch(`/api/admin/users/${rootUser.id}/`, { is_superuser: false })).json).toEqual({
        is_superuser: ['You cannot remove your own superuser status.'],
      })
      expect((await root.patch(`/api/admin/users/${rootUser.id}/`, { is_active: false })).json).toEqual({
        is_active: ['You cannot deactivate your own account.'],
      })
      expectError(await root.request('DELETE', `/api/admin/users/${rootUser.id}/`), 403, 'permission_denied')
      const staffUser = await server.make('staffer', { staff: true })
      const staff = await server.browser('staffer')
      expectError(await staff.patch(`/api/admin/users/${rootUser.id}/`, { is_active: false }), 403, 'permission_denied')
      expectError(await staff.patch(`/api/admin/users/${staffUser.id}/`, { is_staff: false }), 403, 'permission_denied')
      expect((await root.get('/api/admin/audit/')).json.count).toBe(0)
    })

    for (const stateless of [false, true]) {
      it(`ends the user's access at once on deactivation, demotion, password set and deletion${stateless ? ' (statelessUser)' : ''}`, async () => {
        server = await startAdminServer(dialect, { statelessUser: stateless })
        await server.make('root', { superuser: true })
        const root = await server.browser('root')
        // Another server process with an empty cache reads the database on its first look at each session.
        const other = await server.another({ revocationCacheTtl: 0 })
        const cases: [string, (id: number) => Promise<Res>][] = [
          ['deactivate', (id) => root.patch(`/api/admin/users/${id}/`, { is_active: false })],
          ['demote', (id) => root.patch(`/api/admin/users/${id}/`, { is_staff: false })],
          ['password', (id) => root.post(`/api/admin/users/${id}/password/`, { password: 'Other-Pass-5678' })],
          ['delete', (id) => root.request('DELETE', `/api/admin/users/${id}/`)],
          ['revoke-all', (id) => root.post(`/api/admin/users/${id}/sessions/revoke-all/`)],
        ]
        for (const [name, change] of cases) {
          const target = await server.make(`t-${name}`, { staff: true })
          const browser = await server.browser(`t-${name}`)
          const elsewhere = sameBrowserAt(browser, other.url)
          expect((await browser.get('/api/auth/me/')).status, name).toBe(200)
          expect((await elsewhere.get('/api/auth/me/')).status, name).toBe(200)
          const res = await change(target.id)
          expect(res.status, `${name}: ${res.text}`).toBeLessThan(300)
          expect((await browser.get('/api/auth/me/')).status, name).toBe(401)
          expect((await elsewhere.get('/api/auth/me/')).status, name).toBe(401)
          // Their refresh token mints nothing either.
          expect((await browser.post('/api/auth/refresh/')).status, name).toBe(401)
        }
        const old = await new Client(server.url).post('/api/auth/login/', { username: 't-password', password: 'Other-Pass-5678' })
        expect(old.status).toBe(200)
        await other.close()
      })
    }

    it("lists a user's sessions with device and revokes one: that browser's next request is 401, the other stays", async () => {
      server = await startAdminServer(dialect)
      await server.make('root', { superuser: true })
      const bob = await server.make('bob')
      const root = await server.browser('root')
      const laptop = new Client(server.url)
      await laptop.post('/api/auth/login/', { username: 'bob', password: PASSWORD }, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' } })
      const phone = await server.browser('bob')
      const list = await root.get(`/api/admin/users/${bob.id}/sessions/`)
      expect(list.status).toBe(200)
      expect(list.json).toHaveLength(2)
      expect(Object.keys(list.json[0]).sort()).toEqual(['created_at', 'current', 'device', 'id', 'ip', 'last_used_at', 'user_agent'])
      const laptopSession = list.json.find((s: { device: string }) => s.device === 'Firefox on Linux')
      expect(laptopSession).toMatchObject({ ip: '127.0.0.1', current: false })
      expect((await root.request('DELETE', `/api/admin/users/${bob.id}/sessions/${laptopSession.id}/`)).status).toBe(204)
      expect((await laptop.get('/api/auth/me/')).status).toBe(401)
      expect((await phone.get('/api/auth/me/')).status).toBe(200)
      expectError(await root.request('DELETE', `/api/admin/users/${bob.id}/sessions/${laptopSession.id}/`), 404, 'not_found')
      expectError(await root.request('DELETE', `/api/admin/users/${bob.id}/sessions/nope/`), 404, 'not_found')
      expectError(await root.get('/api/admin/users/99999/sessions/'), 404, 'not_found')
      const audit = await root.get(`/api/admin/audit/?target=${bob.id}&action=session.revoke`)
      expect(audit.json.results).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ username: 'root' }), changes: { session: { old: laptopSession.id, new: null } }, ip: '127.0.0.1' }),
      ])
    })

    it('keeps the audit log of every change, readable with filters; a refused change leaves no row', async () => {
      server = await startAdminServer(dialect)
      const rootUser = await server.make('root', { superuser: true })
      const root = await server.browser('root')
      const created = (await root.post('/api/admin/users/', { username: 'carol', password: 'Ample-Pass-1234' }, { headers: { 'user-agent': 'AdminTest/1.0' } })).json
      await root.patch(`/api/admin/users/${created.id}/`, { is_active: false })
      await root.patch(`/api/admin/users/${rootUser.id}/`, { is_active: false })
      await root.post(`/api/admin/users/${created.id}/password/`, { password: '1' })
      await root.request('DELETE', `/api/admin/users/${created.id}/`)
      const log = await root.get('/api/admin/audit/')
      expect(log.status).toBe(200)
      expect(log.json.count).toBe(3)
      expect(log.json.results.map((e: { action: string }) => e.action)).toEqual(['user.delete', 'user.update', 'user.create'])
      expect(log.json.results[2]).toMatchObject({
        actor: { id: rootUser.id, username: 'root' },
        target: { id: created.id, username: 'carol' },
        user_agent: 'AdminTest/1.0',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      })
      expect(log.json.results[1].changes).toEqual({ is_active: { old: true, new: false } })
      expect(log.text).not.toMatch(/Ample-Pass|pbkdf2/)
      expect((await root.get(`/api/admin/audit/?actor=${rootUser.id}&action=user.create&page_size=1`)).json).toMatchObject({ count: 1, next: null })
    })

    it('works with a Bearer token (no CSRF needed) as with the cookie', async () => {
      server = await startAdminServer(dialect)
      await server.make('root', { superuser: true })
      const bob = await server.make('bob')
      const token = await send(server.url, 'POST', '/api/token/', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'root', password: PASSWORD }),
      })
      const auth = { authorization: `Bearer ${token.json.access}`, 'content-type': 'application/json' }
      const res = await send(server.url, 'PATCH', `/api/admin/users/${bob.id}/`, { headers: auth, body: JSON.stringify({ last_name: 'B' }) })
      expect(res.status, res.text).toBe(200)
      expect(res.json.last_name).toBe('B')
    })
  })
}
