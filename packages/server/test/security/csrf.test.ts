/**
 * CSRF over real HTTP: cookie-authenticated unsafe requests need X-CSRFToken matching the csrftoken cookie (Django's
 * masked and unmasked forms), non-JSON content types are 415 and never parsed, method override headers are ignored,
 * and a foreign or null Origin is refused on login, refresh, logout and every cookie-authenticated write.
 */
import { maskCsrfSecret } from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  FRONTEND,
  PASSWORD,
  errorBody,
  login,
  send,
  sessionCookies,
  setsTokenCookie,
  snapshot,
  startServer,
  type Exchange,
  type Session,
  type TestServer,
} from './harness.js'

let server: TestServer
let ada: Session
let bob: Session

beforeAll(async () => {
  server = await startServer()
  await server.createUser('ada', { email: 'ada@example.com' })
  await server.createUser('bob', { email: 'bob@example.com' })
  ada = await login(server, 'ada')
  bob = await login(server, 'bob')
})
afterAll(async () => {
  await server?.close()
})

const patchMe = (session: Session, headers: Record<string, string>, body: unknown = { first_name: 'Mallory' }, cookies?: Record<string, string>) =>
  send(server, '/api/auth/me/', { method: 'PATCH', headers, cookies: cookies ?? sessionCookies(server, session), body })

async function expectCsrfFailure(res: Exchange, reason: string) {
  expect(res.status, res.text).toBe(403)
  expect(res.json).toEqual(errorBody('permission_denied', `CSRF Failed: ${reason}`))
  expect(setsTokenCookie(res, server.settings)).toBe(false)
}

async function adaRow() {
  return server.database.db.selectFrom('auth_user').selectAll().where('username', '=', 'ada').executeTakeFirstOrThrow()
}

describe('CSRF token', () => {
  it('refuses a cookie-authenticated PATCH without X-CSRFToken and changes nothing', async () => {
    const before = await adaRow()
    await expectCsrfFailure(await patchMe(ada, {}), 'CSRF token missing.')
    expect(await adaRow()).toEqual(before)
  })
  it('refuses an empty X-CSRFToken', async () => {
    await expectCsrfFailure(await patchMe(ada, { 'x-csrftoken': '' }), 'CSRF token missing.')
  })
  it('refuses a well-formed but wrong token', async () => {
    await expectCsrfFailure(await patchMe(ada, { 'x-csrftoken': 'B'.repeat(32) }), 'CSRF token incorrect.')
  })
  it("refuses the attacker's own token against the victim's cookie (token from another user)", async () => {
    await expectCsrfFailure(await patchMe(ada, { 'x-csrftoken': bob.csrf }), 'CSRF token incorrect.')
    await expectCsrfFailure(await patchMe(ada, { 'x-csrftoken': maskCsrfSecret(bob.csrf) }), 'CSRF token incorrect.')
  })
  it('refuses a request without the csrftoken cookie even when the header is set', async () => {
    const res = await patchMe(ada, { 'x-csrftoken': ada.csrf }, undefined, { access_token: ada.access })
    await expectCsrfFailure(res, 'CSRF cookie not set.')
  })
  it('refuses a malformed csrftoken cookie matched by the same malformed header', async () => {
    const res = await patchMe(ada, { 'x-csrftoken': 'short' }, undefined, { access_token: ada.access, csrftoken: 'short' })
    await expectCsrfFailure(res, 'CSRF cookie not set.')
  })
  for (const [name, token] of [
    ['31 characters', 'a'.repeat(31)],
    ['33 characters', 'a'.repeat(33)],
    ['65 characters', 'a'.repeat(65)],
    ['1000 characters', 'a'.repeat(1000)],
  ] as const) {
    it(`refuses a token of ${name} with "incorrect length"`, async () => {
      await expectCsrfFailure(await patchMe(ada, { 'x-csrftoken': token }), 'CSRF token has incorrect length.')
    })
  }
  for (const [name, token] of [
    ['a dash', `${'a'.repeat(31)}-`],
    ['a space', `${'a'.repeat(31)} `.replace(/ $/, '%')],
    ['base64 padding', `${'a'.repeat(62)}==`],
  ] as const) {
    it(`refuses a token with ${name} with "invalid characters"`, async () => {
      await expectCsrfFailure(await patchMe(ada, { 'x-csrftoken': token }), 'CSRF token has invalid characters.')
    })
  }
  it('accepts the unmasked 32-character secret', async () => {
    const res = await patchMe(ada, { 'x-csrftoken': ada.csrf }, { first_name: 'Ada' })
    expect(res.status, res.text).toBe(200)
    expect(res.json.first_name).toBe('Ada')
  })
  it('accepts the masked 64-character form (from GET /api/auth/csrf/)', async () => {
    const res0 = await send(server, '/api/auth/csrf/', { cookies: { csrftoken: ada.csrf } })
    const masked = res0.json.csrfToken as string
    expect(masked).toMatch(/^[A-Za-z0-9]{64}$/)
    const res = await patchMe(ada, { 'x-csrftoken': masked }, { last_name: 'Lovelace' })
    expect(res.status, res.text).toBe(200)
    expect(res.json.last_name).toBe('Lovelace')
  })
  it('refuses a password change without the token and keeps the password hash', async () => {
    const before = await snapshot(server)
    const res = await send(server, '/api/auth/password/change/', {
      method: 'POST',
      cookies: sessionCookies(server, ada),
      body: { old_password: PASSWORD, new_password: 'pwned pwned pwned 1' },
    })
    await expectCsrfFailure(res, 'CSRF token missing.')
    expect(await snapshot(server)).toEqual(before)
  })
  it('refuses the session-revoking endpoints without the token, and revokes nothing', async () => {
    const victim = await login(server, 'bob')
    const list = await send(server, '/api/auth/sessions/', { cookies: sessionCookies(server, victim) })
    expect(list.status).toBe(200)
    const sid = (list.json as { id: string; current: boolean }[]).find((s) => s.current)?.id
    expect(sid).toBeTruthy()
    const before = await snapshot(server)
    for (const [method, path] of [
      ['POST', '/api/auth/sessions/revoke-all/'],
      ['POST', '/api/auth/sessions/revoke-others/'],
      ['DELETE', `/api/auth/sessions/${sid}/`],
    ] as const) {
      const res = await send(server, path, { method, cookies: sessionCookies(server, victim) })
      await expectCsrfFailure(res, 'CSRF token missing.')
    }
    expect(await snapshot(server)).toEqual(before)
    expect((await send(server, '/api/auth/me/', { cookies: sessionCookies(server, victim) })).status).toBe(200)
  })
  it('needs no CSRF token with a Bearer header (not sent automatically by browsers)', async () => {
    const res = await send(server, '/api/auth/me/', { method: 'PATCH', headers: { authorization: `Bearer ${bob.access}` }, body: { first_name: 'Bob' } })
    expect(res.status).toBe(200)
  })
})

describe('content types that a form or a no-CORS fetch can send are never parsed as JSON', () => {
  const bodies: [string, string, string][] = [
    ['text/plain', 'text/plain', '{"first_name":"Mallory"}'],
    ['text/plain with charset', 'text/plain;charset=UTF-8', '{"first_name":"Mallory"}'],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'first_name=Mallory'],
    ['multipart/form-data', 'multipart/form-data; boundary=X', '--X\r\nContent-Disposition: form-data; name="first_name"\r\n\r\nMallory\r\n--X--\r\n'],
    ['application/json-patch+json', 'application/json-patch+json', '[{"op":"replace","path":"/first_name","value":"Mallory"}]'],
  ]
  for (const [name, type, body] of bodies) {
    it(`PATCH /me with ${name} and a valid CSRF token is 415 and changes nothing`, async () => {
      const before = await adaRow()
      const res = await send(server, '/api/auth/me/', {
        method: 'PATCH',
        headers: { 'content-type': type, 'x-csrftoken': ada.csrf },
        cookies: sessionCookies(server, ada),
        body,
      })
      expect(res.status).toBe(415)
      expect(res.json).toEqual(errorBody('unsupported_media_type'))
      expect(await adaRow()).toEqual(before)
    })
  }
  for (const [name, type, body] of [
    ['text/plain', 'text/plain', `{"username":"ada","password":"${PASSWORD}"}`],
    ['a form', 'application/x-www-form-urlencoded', `username=ada&password=${encodeURIComponent(PASSWORD)}`],
    ['multipart', 'multipart/form-data; boundary=X', `--X\r\nContent-Disposition: form-data; name="username"\r\n\r\nada\r\n--X--\r\n`],
  ] as const) {
    it(`login CSRF: a cross-site ${name} login post is 415 and sets no cookie`, async () => {
      const res = await send(server, '/api/auth/login/', { method: 'POST', headers: { 'content-type': type, origin: 'https://evil.example' }, body })
      expect(res.status).toBe(415)
      expect(res.setCookies).toEqual([])
    })
  }
})

describe('method override headers are ignored', () => {
  for (const header of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
    it(`POST /me with ${header}: PATCH is 405, not a profile update`, async () => {
      const before = await adaRow()
      const res = await send(server, '/api/auth/me/', {
        method: 'POST',
        headers: { [header]: 'PATCH', 'x-csrftoken': ada.csrf },
        cookies: sessionCookies(server, ada),
        body: { first_name: 'Mallory' },
      })
      expect(res.status).toBe(405)
      expect(res.json).toEqual(errorBody('method_not_allowed', 'Method "POST" not allowed.'))
      expect(await adaRow()).toEqual(before)
    })
  }
  it('GET /logout with X-HTTP-Method-Override: POST is 405 and does not log out', async () => {
    const res = await send(server, '/api/auth/logout/', { headers: { 'x-http-method-override': 'POST' }, cookies: sessionCookies(server, ada, true) })
    expect(res.status).toBe(405)
    expect(res.setCookies).toEqual([])
    expect((await send(server, '/api/auth/me/', { cookies: sessionCookies(server, ada) })).status).toBe(200)
  })
  it('a _method query parameter is ignored too', async () => {
    const res = await send(server, '/api/auth/me/?_method=PATCH', { method: 'POST', headers: { 'x-csrftoken': ada.csrf }, cookies: sessionCookies(server, ada), body: { first_name: 'M' } })
    expect(res.status).toBe(405)
  })
})

describe('Origin and Referer', () => {
  const foreign = ['https://evil.example', 'null', 'http://localhost:3000.evil.com', 'http://evil-localhost:3000', 'http://localhost:3001', 'https://localhost:3000', 'http://localhost:3000/']
  for (const origin of foreign) {
    it(`login from Origin ${origin} is 403 and sets no cookie`, async () => {
      const res = await send(server, '/api/auth/login/', { method: 'POST', headers: { origin }, body: { username: 'ada', password: PASSWORD } })
      await expectCsrfFailure(res, 'Origin checking failed - the request origin does not match any trusted origins.')
      expect(res.setCookies).toEqual([])
    })
  }
  it('refresh from a foreign Origin is 403, rotates nothing, and the token still works afterwards', async () => {
    const session = await login(server, 'bob')
    const before = await snapshot(server)
    const res = await send(server, '/api/auth/refresh/', { method: 'POST', headers: { origin: 'https://evil.example' }, cookies: { refresh_token: session.refresh } })
    await expectCsrfFailure(res, 'Origin checking failed - the request origin does not match any trusted origins.')
    expect(await snapshot(server)).toEqual(before)
    const ok = await send(server, '/api/auth/refresh/', { method: 'POST', headers: { origin: FRONTEND }, cookies: { refresh_token: session.refresh } })
    expect(ok.status).toBe(200)
  })
  it('logout from a null Origin is 403 and does not revoke the refresh token (no forced logout)', async () => {
    const session = await login(server, 'bob')
    const res = await send(server, '/api/auth/logout/', { method: 'POST', headers: { origin: 'null' }, cookies: sessionCookies(server, session, true) })
    await expectCsrfFailure(res, 'Origin checking failed - the request origin does not match any trusted origins.')
    expect(res.setCookies).toEqual([])
    const ok = await send(server, '/api/auth/refresh/', { method: 'POST', cookies: { refresh_token: session.refresh } })
    expect(ok.status).toBe(200)
  })
  it('a cookie-authenticated PATCH with a valid token but a foreign Origin is 403', async () => {
    await expectCsrfFailure(
      await patchMe(ada, { 'x-csrftoken': ada.csrf, origin: 'https://evil.example' }),
      'Origin checking failed - the request origin does not match any trusted origins.',
    )
  })
  it('accepts the trusted front end, the server own origin, and a missing Origin', async () => {
    const variants: Record<string, string>[] = [{ origin: FRONTEND }, { origin: server.origin }, { origin: 'HTTP://LOCALHOST:3000' }, {}]
    for (const headers of variants) {
      const res = await send(server, '/api/auth/login/', { method: 'POST', headers, body: { username: 'ada', password: PASSWORD } })
      expect(res.status, JSON.stringify(headers)).toBe(200)
    }
  })
  it('a foreign Referer does not override a trusted Origin, and a Referer alone never authorises a write', async () => {
    const ok = await send(server, '/api/auth/login/', { method: 'POST', headers: { origin: FRONTEND, referer: 'https://evil.example/x' }, body: { username: 'ada', password: PASSWORD } })
    expect(ok.status).toBe(200)
    const res = await patchMe(ada, { referer: `${FRONTEND}/profile` })
    await expectCsrfFailure(res, 'CSRF token missing.')
  })
})
