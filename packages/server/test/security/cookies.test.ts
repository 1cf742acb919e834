/**
 * Cookie attributes on every response that sets one: JWT cookies HttpOnly, with their Path, SameSite, Max-Age and no
 * Domain by default; the CSRF cookie readable by JavaScript; clearing uses the same Path; the Bearer flow sets none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  FRONTEND,
  cookiesOf,
  login,
  parseSetCookie,
  send,
  sessionCookies,
  type Exchange,
  type TestServer,
  startServer,
  PASSWORD,
} from './harness.js'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
  await server.createUser('ada')
  await server.createUser('bob')
})
afterAll(async () => {
  await server?.close()
})

/** Every Set-Cookie line of a response obeys the cookie contract. Returns the cookies by name. */
function expectCookieContract(res: Exchange) {
  const s = server.settings
  expect(res.setCookies.length, 'response sets at least one cookie').toBeGreaterThan(0)
  for (const line of res.setCookies) {
    const c = parseSetCookie(line)
    expect(c.attrs, `${c.name}: no Domain by default`).not.toHaveProperty('domain')
    expect(c.attrs.samesite?.toLowerCase(), `${c.name}: SameSite=Lax`).toBe('lax')
    expect(c.attrs['max-age'], `${c.name}: Max-Age`).toMatch(/^\d+$/)
    if (c.name === s.csrf.cookieName) {
      expect(c.attrs, 'csrftoken is readable by page JavaScript').not.toHaveProperty('httponly')
      expect(c.attrs.path).toBe('/')
      expect(c.attrs['max-age']).toBe('31449600')
      expect(c.value).toMatch(/^[A-Za-z0-9]{32}$/)
    } else {
      // Every other cookie cookiejwt sets carries a credential (or clears one): never readable by scripts.
      expect(c.attrs, `${c.name}: HttpOnly`).toHaveProperty('httponly')
    }
    if (c.name === s.authCookie.name) {
      expect(c.attrs.path).toBe('/')
      expect(c.attrs['max-age']).toBe(c.value === '' ? '0' : '300')
    }
    if (c.name === s.refreshCookie.name) {
      expect(c.attrs.path).toBe('/api/auth/')
      expect(c.attrs['max-age']).toBe(c.value === '' ? '0' : '86400')
    }
    if (c.value === '') expect(c.attrs['max-age'], `${c.name}: a cleared cookie has Max-Age=0`).toBe('0')
    // Plain HTTP in tests: Secure would make the browser drop the cookie; production turns it on.
    expect(c.attrs).not.toHaveProperty('secure')
  }
  return cookiesOf(res)
}

describe('cookie attributes on every response that sets one', () => {
  it('login sets access, refresh and a fresh csrftoken with the contract attributes', async () => {
    const res = await send(server, '/api/auth/login/', { method: 'POST', headers: { origin: FRONTEND }, body: { username: 'ada', password: PASSWORD } })
    expect(res.status).toBe(200)
    const c = expectCookieContract(res)
    expect(Object.keys(c).sort()).toEqual(['access_token', 'csrftoken', 'refresh_token'])
    // The tokens are never in the body (they would be readable by page JavaScript).
    expect(res.text).not.toContain(c.access_token!.value)
    expect(res.text).not.toContain(c.refresh_token!.value)
    expect(res.json).not.toHaveProperty('access')
    expect(res.json).not.toHaveProperty('refresh')
  })
  it('login replaces a csrftoken planted before login (login CSRF / fixation)', async () => {
    const planted = 'A'.repeat(32)
    const res = await send(server, '/api/auth/login/', { method: 'POST', cookies: { csrftoken: planted }, body: { username: 'ada', password: PASSWORD } })
    const c = expectCookieContract(res)
    expect(c.csrftoken?.value).toMatch(/^[A-Za-z0-9]{32}$/)
    expect(c.csrftoken?.value).not.toBe(planted)
  })
  it('refresh sets a new access and a rotated refresh cookie', async () => {
    const session = await login(server, 'ada')
    const res = await send(server, '/api/auth/refresh/', { method: 'POST', cookies: { refresh_token: session.refresh } })
    expect(res.status).toBe(200)
    const c = expectCookieContract(res)
    expect(c.access_token?.value).toMatch(/^ey/)
    expect(c.refresh_token?.value).toMatch(/^ey/)
    expect(c.refresh_token?.value).not.toBe(session.refresh)
  })
  it('a failed refresh clears both JWT cookies with their own paths', async () => {
    const res = await send(server, '/api/auth/refresh/', { method: 'POST', cookies: { refresh_token: 'garbage' } })
    expect(res.status).toBe(401)
    const c = expectCookieContract(res)
    expect(c.access_token).toMatchObject({ value: '', attrs: { path: '/', 'max-age': '0' } })
    expect(c.refresh_token).toMatchObject({ value: '', attrs: { path: '/api/auth/', 'max-age': '0' } })
  })
  it('logout clears both JWT cookies, with a valid token', async () => {
    const session = await login(server, 'ada')
    const res = await send(server, '/api/auth/logout/', { method: 'POST', cookies: sessionCookies(server, session, true) })
    expect(res.status).toBe(200)
    const c = expectCookieContract(res)
    expect(c.access_token?.value).toBe('')
    expect(c.refresh_token?.value).toBe('')
  })
  it('logout clears both JWT cookies without any token and with garbage ones', async () => {
    for (const cookies of [undefined, { access_token: 'x', refresh_token: 'y' }]) {
      const res = await send(server, '/api/auth/logout/', { method: 'POST', ...(cookies ? { cookies } : {}) })
      expect(res.status).toBe(200)
      expect(res.json).toEqual({})
      const c = expectCookieContract(res)
      expect(c.access_token?.value).toBe('')
      expect(c.refresh_token?.value).toBe('')
    }
  })
  it('GET /api/auth/csrf/ sets a readable csrftoken and clears a stale access cookie', async () => {
    const fresh = await send(server, '/api/auth/csrf/')
    expect(fresh.status).toBe(200)
    expect(Object.keys(expectCookieContract(fresh))).toEqual(['csrftoken'])
    const stale = await send(server, '/api/auth/csrf/', { cookies: { access_token: 'stale.token.value' } })
    const c = expectCookieContract(stale)
    expect(c.access_token).toMatchObject({ value: '', attrs: { 'max-age': '0' } })
  })
  it('a password change in the cookie flow sets a fresh pair with the contract attributes', async () => {
    const user = await server.createUser('carol')
    const session = await login(server, user.username)
    const res = await send(server, '/api/auth/password/change/', {
      method: 'POST',
      headers: { 'x-csrftoken': session.csrf, origin: FRONTEND },
      cookies: sessionCookies(server, session),
      body: { old_password: PASSWORD, new_password: 'another long passphrase 42' },
    })
    expect(res.status, res.text).toBe(200)
    const c = expectCookieContract(res)
    expect(c.access_token?.value).toMatch(/^ey/)
  })
  it('"log out everywhere" in the cookie flow clears both JWT cookies with the contract attributes', async () => {
    const session = await login(server, 'bob')
    const res = await send(server, '/api/auth/sessions/revoke-all/', {
      method: 'POST',
      headers: { 'x-csrftoken': session.csrf, origin: FRONTEND },
      cookies: sessionCookies(server, session),
    })
    expect(res.status, res.text).toBe(200)
    const c = expectCookieContract(res)
    expect(c.access_token?.value).toBe('')
    expect(c.refresh_token?.value).toBe('')
  })
  it('the Bearer flow sets no cookies at all', async () => {
    const res = await send(server, '/api/token/', { method: 'POST', body: { username: 'bob', password: PASSWORD } })
    expect(res.status).toBe(200)
    expect(res.setCookies).toEqual([])
    const refreshed = await send(server, '/api/token/refresh/', { method: 'POST', body: { refresh: res.json.refresh } })
    expect(refreshed.status).toBe(200)
    expect(refreshed.setCookies).toEqual([])
  })
  it('error responses of the cookie endpoints never set a token cookie', async () => {
    const res = await send(server, '/api/auth/login/', { method: 'POST', body: { username: 'ada', password: 'wrong password!' } })
    expect(res.status).toBe(401)
    expect(res.setCookies.filter((l) => /^(access|refresh)_token=[^;]/.test(l))).toEqual([])
  })
})
