import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, PASSWORD, send, startTestServer, type TestServer } from '../helpers.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
  await server.createUser('alice')
  await server.createUser('carol', { isActive: false })
})
afterAll(() => server.close())

describe('POST /api/auth/login/', () => {
  it('sets HttpOnly JWT cookies and a fresh csrftoken, and returns the user without tokens', async () => {
    const client = new Client(server.url)
    const res = await client.post('/api/auth/login/', { username: 'alice', password: PASSWORD })
    expect(res.status).toBe(200)
    expect(res.json.user).toMatchObject({ username: 'alice', email: 'alice@example.com', is_staff: false })
    expect(Object.keys(res.json.user).sort()).toEqual(
      ['date_joined', 'email', 'first_name', 'id', 'is_staff', 'is_superuser', 'last_login', 'last_name', 'username'],
    )
    expect(res.json).not.toHaveProperty('access')
    expect(res.json).not.toHaveProperty('refresh')
    expect(res.text).not.toContain(res.cookie('access_token')!.value)
    expect(Date.parse(res.json.access_expires)).toBeGreaterThan(Date.now())
    expect(res.cookie('access_token')!.raw).toMatch(/^access_token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300; Path=\/; HttpOnly; SameSite=Lax$/)
    expect(res.cookie('refresh_token')!.raw).toMatch(/^refresh_token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=86400; Path=\/api\/auth\/; HttpOnly; SameSite=Lax$/)
    expect(res.cookie('csrftoken')!.raw).toMatch(/^csrftoken=[a-zA-Z0-9]{32}; Max-Age=31449600; Path=\/; SameSite=Lax$/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('rotates the csrftoken at login', async () => {
    const client = new Client(server.url)
    client.jar.set('csrftoken', 'a'.repeat(32))
    await client.post('/api/auth/login/', { username: 'alice', password: PASSWORD })
    expect(client.jar.get('csrftoken')).not.toBe('a'.repeat(32))
  })

  it('answers wrong password, unknown user and inactive user with the same 401 and no cookies', async () => {
    const bodies: string[] = []
    for (const [username, password] of [['alice', 'wrong-password'], ['nobody', PASSWORD], ['carol', PASSWORD]]) {
      const res = await send(server.url, 'POST', '/api/auth/login/', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      })
      expect(res.status).toBe(401)
      expect(res.json).toEqual({ detail: 'No active account found with the given credentials', code: 'no_active_account' })
      expect(res.cookies.filter((c) => c.name !== 'csrftoken')).toEqual([])
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"')
      bodies.push(res.text)
    }
    expect(new Set(bodies).size).toBe(1)
  })

  it('runs one hash for an unknown user, as Django does, so timing does not reveal usernames', async () => {
    // Measured from outside, so it holds on every adapter: with a costly hasher (~0.4 s a hash) a refused login for
    // an unknown user must still cost about one hash; without the dummy hash it would answer in a few milliseconds.
    // Load only makes requests slower, so the bound (half the fastest hash this machine did) cannot fail by load.
    const slow = await startTestServer({ passwordHasherOptions: { pbkdf2Iterations: 400_000 } })
    try {
      const hashTimes: number[] = []
      for (let i = 0; i < 3; i++) {
        const started = performance.now()
        await slow.hashers.hash(PASSWORD)
        hashTimes.push(performance.now() - started)
      }
      for (let i = 0; i < 3; i++) {
        const started = performance.now()
        const res = await send(slow.url, 'POST', '/api/auth/login/', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `ghost-${i}`, password: PASSWORD }),
        })
        expect(res.status).toBe(401)
        expect(performance.now() - started).toBeGreaterThan(0.5 * Math.min(...hashTimes))
      }
    } finally {
      await slow.close()
    }
  }, 90_000)

  it.each([
    [{ password: PASSWORD }, { username: ['This field is required.'] }],
    [{ username: 'alice' }, { password: ['This field is required.'] }],
    [{ username: 42, password: PASSWORD }, { username: ['Not a valid string.'] }],
    [{ username: 'alice', password: ['x'] }, { password: ['Not a valid string.'] }],
    [{ username: '', password: PASSWORD }, { username: ['This field may not be blank.'] }],
    [{ username: 'ali\u0000ce', password: PASSWORD }, { username: ['Null characters are not allowed.'] }],
    [{ username: 'a'.repeat(10_000), password: PASSWORD }, { username: ['Ensure this field has no more than 150 characters.'] }],
  ])('answers a bad body with 400 and field errors (case %#)', async (body, errors) => {
    const res = await send(server.url, 'POST', '/api/auth/login/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(400)
    expect(res.json).toEqual(errors)
  })

  it('answers a JSON array body with 400', async () => {
    const res = await send(server.url, 'POST', '/api/auth/login/', { headers: { 'content-type': 'application/json' }, body: '[]' })
    expect(res.status).toBe(400)
  })

  it('answers malformed JSON with 400 parse_error', async () => {
    const res = await send(server.url, 'POST', '/api/auth/login/', { headers: { 'content-type': 'application/json' }, body: '{"username": ' })
    expect(res.status).toBe(400)
    expect(res.json).toMatchObject({ code: 'parse_error' })
    expect(res.text).not.toMatch(/at \w+ \(|node_modules|\/work\//)
  })

  it('answers a wrong content type with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await send(server.url, 'POST', '/api/auth/login/', { headers: { 'content-type': type }, body: 'username=alice&password=x' })
      expect(res.status).toBe(415)
      expect(res.json).toMatchObject({ code: 'unsupported_media_type' })
    }
  })

  it('answers a body over 64 kB with 413', async () => {
    const res = await send(server.url, 'POST', '/api/auth/login/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'x'.repeat(70_000) }),
    })
    expect(res.status).toBe(413)
    expect(res.json).toMatchObject({ code: 'payload_too_large' })
  })

  it('refuses a login from a foreign Origin with 403 and sets no cookie', async () => {
    const client = new Client(server.url, { origin: 'http://evil.example.com' })
    const res = await client.post('/api/auth/login/', { username: 'alice', password: PASSWORD })
    expect(res.status).toBe(403)
    expect(res.json.code).toBe('permission_denied')
    expect(res.cookies).toEqual([])
  })

  it('accepts a login from its own origin and from a trusted origin', async () => {
    for (const origin of [server.origin, 'http://localhost:3000']) {
      const res = await new Client(server.url, { origin }).post('/api/auth/login/', { username: 'alice', password: PASSWORD })
      expect(res.status).toBe(200)
    }
  })

  it('never fails because of a stale or invalid access cookie', async () => {
    const client = new Client(server.url)
    client.jar.set('access_token', 'garbage.token.value')
    const res = await client.post('/api/auth/login/', { username: 'alice', password: PASSWORD })
    expect(res.status).toBe(200)
    expect(client.jar.get('access_token')).not.toBe('garbage.token.value')
  })

  it('answers 405 for other methods in the DRF shape', async () => {
    const res = await send(server.url, 'GET', '/api/auth/login/')
    expect(res.status).toBe(405)
    expect(res.json).toEqual({ detail: 'Method "GET" not allowed.', code: 'method_not_allowed' })
  })

  it('answers unknown API paths with 404 not_found', async () => {
    const res = await send(server.url, 'GET', '/api/nothing/')
    expect(res.status).toBe(404)
    expect(res.json).toEqual({ detail: 'Not found.', code: 'not_found' })
  })
})
