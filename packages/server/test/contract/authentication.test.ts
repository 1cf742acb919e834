import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, decodePayload, PASSWORD, send, signIn, startTestServer, TEST_KEY, type TestServer } from '../helpers.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
  await server.createUser('alice')
  await server.createUser('bob')
})
afterAll(() => server.close())

const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
function sign(payload: Record<string, unknown>, key = TEST_KEY, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }) {
  const input = `${b64u(header)}.${b64u(payload)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}
const now = () => Math.floor(Date.now() / 1000)

async function bearerPair(username = 'alice') {
  const res = await send(server.url, 'POST', '/api/token/', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  expect(res.status).toBe(200)
  return res.json as { access: string; refresh: string }
}

describe('GET /api/auth/me/', () => {
  it('authenticates with the access cookie alone', async () => {
    const { client } = await signIn(server, 'alice')
    const res = await client.get('/api/auth/me/')
    expect(res.status).toBe(200)
    expect(res.json.username).toBe('alice')
    expect(res.text).not.toMatch(/password|pbkdf2|argon2/)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('authenticates with a Bearer header', async () => {
    const { access } = await bearerPair()
    const res = await send(server.url, 'GET', '/api/auth/me/', { headers: { authorization: `Bearer ${access}` } })
    expect(res.status).toBe(200)
    expect(res.json.username).toBe('alice')
  })

  it('answers 401 not_authenticated without credentials', async () => {
    const res = await send(server.url, 'GET', '/api/auth/me/')
    expect(res.status).toBe(401)
    expect(res.json).toEqual({ detail: 'Authentication credentials were not provided.', code: 'not_authenticated' })
  })

  it('lets the Bearer header win over the cookie', async () => {
    const { client } = await signIn(server, 'alice')
    const { access } = await bearerPair('bob')
    const res = await client.get('/api/auth/me/', { headers: { authorization: `Bearer ${access}` } })
    expect(res.json.username).toBe('bob')
  })

  it('never falls back to the cookie when the Bearer token is bad', async () => {
    const { client } = await signIn(server, 'alice')
    for (const header of ['Bearer garbage', 'Bearer', 'Bearer a b', `Bearer ${sign({ token_type: 'access', exp: now() + 60, iat: now(), jti: 'x', user_id: 1 }, 'k'.repeat(64))}`]) {
      const res = await client.get('/api/auth/me/', { headers: { authorization: header } })
      expect(res.status).toBe(401)
      expect(res.json.code).toBe('token_not_valid')
    }
  })

  it('ignores an Authorization header of another scheme and uses the cookie', async () => {
    const { client } = await signIn(server, 'alice')
    const res = await client.get('/api/auth/me/', { headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } })
    expect(res.status).toBe(200)
    expect(res.json.username).toBe('alice')
  })

  it.each([
    ['alg none', () => `${b64u({ alg: 'none', typ: 'JWT' })}.${b64u({ token_type: 'access', exp: now() + 60, iat: now(), jti: 'x', user_id: 1 })}.`],
    ['a wrong key', () => sign({ token_type: 'access', exp: now() + 60, iat: now(), jti: 'x', user_id: 1 }, 'k'.repeat(64))],
    ['expired', () => sign({ token_type: 'access', exp: now() - 1, iat: now() - 301, jti: 'x', user_id: 1 })],
    ['not yet valid', () => sign({ token_type: 'access', exp: now() + 600, iat: now(), nbf: now() + 300, jti: 'x', user_id: 1 })],
    ['a float exp', () => sign({ token_type: 'access', exp: now() + 60.5, iat: now(), jti: 'x', user_id: 1 })],
    ['a refresh token', () => sign({ token_type: 'refresh', exp: now() + 60, iat: now(), jti: 'x', user_id: 1 })],
    ['malformed base64', () => 'eyJhbGciOiJIUzI1NiJ9.%%%%.abc'],
    ['a non-JSON payload', () => `${b64u({ alg: 'HS256' })}.${Buffer.from('not json').toString('base64url')}.abc`],
  ])('refuses %s with 401 token_not_valid, by cookie and by header', async (_label, make) => {
    const token = make()
    const viaHeader = await send(server.url, 'GET', '/api/auth/me/', { headers: { authorization: `Bearer ${token}` } })
    expect(viaHeader.status).toBe(401)
    expect(viaHeader.json.code).toBe('token_not_valid')
    const viaCookie = await send(server.url, 'GET', '/api/auth/me/', { headers: { cookie: `access_token=${token}` } })
    expect(viaCookie.status).toBe(401)
    expect(viaCookie.json.code).toBe('token_not_valid')
  })

  it('ends access at once when the user is deactivated or deleted', async () => {
    const carl = await server.createUser('carl')
    const { client } = await signIn(server, 'carl')
    expect((await client.get('/api/auth/me/')).status).toBe(200)
    await server.users.update(carl.id, { isActive: false })
    const res = await client.get('/api/auth/me/')
    expect(res.status).toBe(401)
    expect(res.json.code).toBe('user_inactive')

    const dora = await server.createUser('dora')
    const signed = await signIn(server, 'dora')
    await server.database.db.deleteFrom('auth_user').where('id', '=', dora.id).execute()
    const gone = await signed.client.get('/api/auth/me/')
    expect(gone.status).toBe(401)
    expect(['user_not_found', 'token_not_valid']).toContain(gone.json.code)
  })
})

describe('PATCH /api/auth/me/ and CSRF', () => {
  it('refuses a cookie-authenticated PATCH without X-CSRFToken (403) and accepts it with one', async () => {
    const { client } = await signIn(server, 'alice')
    const refused = await client.patch('/api/auth/me/', { first_name: 'Mallory' }, { csrf: false })
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual({ detail: 'CSRF Failed: CSRF token missing.', code: 'permission_denied' })
    const ok = await client.patch('/api/auth/me/', { first_name: 'Alice', last_name: 'Liddell', email: 'a@example.org' })
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ first_name: 'Alice', last_name: 'Liddell', email: 'a@example.org' })
    expect((await client.get('/api/auth/me/')).json.first_name).toBe('Alice')
  })

  it('accepts a masked token and refuses a wrong one', async () => {
    const { client } = await signIn(server, 'alice')
    const csrf = await client.get('/api/auth/csrf/')
    expect(csrf.json.csrfToken).toMatch(/^[a-zA-Z0-9]{64}$/)
    const masked = await client.patch('/api/auth/me/', { first_name: 'A' }, { headers: { 'x-csrftoken': csrf.json.csrfToken } })
    expect(masked.status).toBe(200)
    const wrong = await client.patch('/api/auth/me/', { first_name: 'A' }, { headers: { 'x-csrftoken': 'b'.repeat(32) } })
    expect(wrong.status).toBe(403)
    expect(wrong.json.detail).toBe('CSRF Failed: CSRF token incorrect.')
  })

  it('refuses a cookie-authenticated PATCH from a foreign Origin even with a valid token', async () => {
    const { client } = await signIn(server, 'alice')
    const res = await client.patch('/api/auth/me/', { first_name: 'X' }, { headers: { origin: 'http://evil.example.com' } })
    expect(res.status).toBe(403)
    expect(res.json.detail).toMatch(/^CSRF Failed: Origin checking failed/)
  })

  it('needs no CSRF token with a Bearer header', async () => {
    const { access } = await bearerPair()
    const res = await send(server.url, 'PATCH', '/api/auth/me/', {
      headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
      body: JSON.stringify({ last_name: 'Bearer' }),
    })
    expect(res.status).toBe(200)
  })

  // As DRF: authentication and CSRF come first, the body is read only for a request that may be made.
  it('answers an anonymous PATCH 401 whatever its body', async () => {
    for (const [type, body] of [
      ['application/json', '{"first_name": '],
      ['application/json', JSON.stringify({ first_name: 7 })],
      ['text/plain', 'hello'],
    ] as const) {
      const res = await send(server.url, 'PATCH', '/api/auth/me/', { headers: { 'content-type': type }, body })
      expect(res.status).toBe(401)
      expect(res.json.code).toBe('not_authenticated')
    }
  })

  it('answers a cookie PATCH without X-CSRFToken 403 before looking at its body', async () => {
    const { client } = await signIn(server, 'alice')
    const res = await client.request('PATCH', '/api/auth/me/', {
      body: '{"first_name": ',
      headers: { 'content-type': 'application/json' },
      csrf: false,
    })
    expect(res.status).toBe(403)
    expect(res.json.detail).toBe('CSRF Failed: CSRF token missing.')
  })

  it('validates fields', async () => {
    const { client } = await signIn(server, 'alice')
    expect((await client.patch('/api/auth/me/', { email: 'not-an-email' })).json).toEqual({ email: ['Enter a valid email address.'] })
    expect((await client.patch('/api/auth/me/', { first_name: 'x'.repeat(151) })).status).toBe(400)
    expect((await client.patch('/api/auth/me/', { first_name: 7 })).json).toEqual({ first_name: ['Not a valid string.'] })
  })
})

describe('GET /api/auth/csrf/', () => {
  it('sets a csrftoken cookie readable by JavaScript and keeps an existing secret', async () => {
    const client = new Client(server.url)
    const first = await client.get('/api/auth/csrf/')
    expect(first.status).toBe(200)
    const cookie = first.cookie('csrftoken')!
    expect(cookie.attributes.httponly).toBeUndefined()
    expect(cookie.attributes.path).toBe('/')
    const second = await client.get('/api/auth/csrf/')
    expect(second.cookie('csrftoken')!.value).toBe(cookie.value)
    expect(second.json.csrfToken).not.toBe(first.json.csrfToken)
  })

  it('clears an invalid access cookie', async () => {
    const res = await send(server.url, 'GET', '/api/auth/csrf/', { headers: { cookie: 'access_token=stale.bad.token' } })
    expect(res.status).toBe(200)
    expect(res.cookie('access_token')?.attributes['max-age']).toBe('0')
  })
})

describe('POST /api/auth/password/change/', () => {
  it('checks the old password and the strength of the new one, then changes it', async () => {
    await server.createUser('erin')
    const { client } = await signIn(server, 'erin')
    const wrong = await client.post('/api/auth/password/change/', { old_password: 'nope', new_password: 'Cobalt-Meadow-Ferry-93' })
    expect(wrong.status).toBe(400)
    expect(wrong.json).toHaveProperty('old_password')
    const weak = await client.post('/api/auth/password/change/', { old_password: PASSWORD, new_password: '123' })
    expect(weak.status).toBe(400)
    expect(weak.json.new_password).toContain('This password is entirely numeric.')
    const noCsrf = await client.post('/api/auth/password/change/', { old_password: PASSWORD, new_password: 'Cobalt-Meadow-Ferry-93' }, { csrf: false })
    expect(noCsrf.status).toBe(403)
    const ok = await client.post('/api/auth/password/change/', { old_password: PASSWORD, new_password: 'Cobalt-Meadow-Ferry-93' })
    expect(ok.status).toBe(200)
    expect((await client.get('/api/auth/me/')).status).toBe(200)
    await expect(signIn(server, 'erin')).rejects.toThrow(/401/)
    await expect(signIn(server, 'erin', 'Cobalt-Meadow-Ferry-93')).resolves.toBeTruthy()
  })
})

describe('tokens', () => {
  it("carry simplejwt's claims", async () => {
    const { client } = await signIn(server, 'alice')
    const payload = decodePayload(client.jar.get('access_token')!)
    expect(payload).toMatchObject({ token_type: 'access', user_id: expect.any(Number) })
    expect((payload.exp as number) - (payload.iat as number)).toBe(300)
  })
})
