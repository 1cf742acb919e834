/**
 * Body and header limits, malformed HTTP, prototype-pollution keys, and the caching and hardening headers, over real
 * HTTP and raw sockets: every hostile request gets a clean 4xx, never a 5xx or a hang, and nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  FRONTEND,
  PASSWORD,
  errorBody,
  login,
  obtainPair,
  send,
  sendRaw,
  sessionCookies,
  snapshot,
  startServer,
  type Exchange,
  type Session,
  type TestServer,
} from './harness.js'

let server: TestServer
let ada: Session
beforeAll(async () => {
  server = await startServer({}, { staticHtml: '<!doctype html><title>app</title><div id="root"></div>' })
  await server.createUser('ada')
  ada = await login(server, 'ada')
})
afterAll(async () => {
  await server?.close()
})

const json = (path: string, body: string, extra: Record<string, string> = {}) =>
  send(server, path, { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body })

describe('body limits', () => {
  it('refuses a 65 kB+ JSON body with 413 payload_too_large', async () => {
    const body = JSON.stringify({ username: 'ada', password: 'x'.repeat(66_000) })
    const res = await json('/api/auth/login/', body)
    expect(res.status).toBe(413)
    expect(res.json).toEqual(errorBody('payload_too_large', 'Request body is too large.'))
    expect(res.setCookies).toEqual([])
  })
  it('refuses a 1 MB body on every JSON endpoint with 413', async () => {
    const body = JSON.stringify({ refresh: 'x'.repeat(1 << 20) })
    for (const path of ['/api/token/refresh/', '/api/token/verify/', '/api/auth/logout/']) {
      const res = await json(path, body)
      expect(res.status, path).toBe(413)
    }
  })
  it('refuses a body larger than its Content-Length says (raw socket) without a 5xx', async () => {
    const raw = await sendRaw(server, 'POST /api/token/verify/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"token":"a.b.c"}')
    expect(raw).toMatch(/^HTTP\/1\.1 4\d\d /)
  })
  it('refuses a Content-Length over the limit before reading the body', async () => {
    const raw = await sendRaw(server, 'POST /api/token/verify/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n{', 2000)
    expect(raw).toMatch(/^HTTP\/1\.1 413 /)
  })
  it('refuses deeply nested JSON with a 400, not a stack overflow', async () => {
    const deep = `{"username":${'['.repeat(20_000)}${']'.repeat(20_000)},"password":"x"}`
    const res = await json('/api/auth/login/', deep)
    expect(res.status).toBe(400)
    expect(res.json).toEqual({ username: ['Not a valid string.'] })
  })
  it('refuses unbalanced deep nesting as a parse error', async () => {
    const res = await json('/api/auth/login/', `{"username":${'['.repeat(60_000)}`)
    expect(res.status).toBe(400)
    expect(res.json).toEqual(errorBody('parse_error'))
  })
  it('refuses empty, truncated and non-object JSON bodies where an object is required', async () => {
    const cases: [string, number][] = [['', 400], ['{', 400], ['[]', 400], ['"ada"', 400], ['null', 400], ['1e999', 400]]
    for (const [body, status] of cases) {
      const res = await json('/api/auth/login/', body)
      expect(res.status, JSON.stringify(body)).toBe(status)
      expect(res.setCookies).toEqual([])
    }
  })
})

describe('prototype pollution keys', () => {
  it('refuses __proto__ in a login body with 400 parse_error', async () => {
    const res = await json('/api/auth/login/', `{"username":"ada","password":"${PASSWORD}","__proto__":{"is_staff":true}}`)
    expect(res.status).toBe(400)
    expect(res.json).toEqual(errorBody('parse_error'))
    expect(res.setCookies).toEqual([])
  })
  it('refuses constructor.prototype in a login body with 400 parse_error', async () => {
    const res = await json('/api/auth/login/', `{"username":"ada","password":"x","constructor":{"prototype":{"isStaff":true}}}`)
    expect(res.status).toBe(400)
    expect(res.json).toEqual(errorBody('parse_error'))
  })
  it('cannot make a user staff through PATCH /me with __proto__, constructor or extra fields', async () => {
    const before = await snapshot(server)
    const headers = { 'content-type': 'application/json', 'x-csrftoken': ada.csrf, origin: FRONTEND }
    for (const body of [
      '{"__proto__":{"is_staff":true,"isStaff":true}}',
      '{"constructor":{"prototype":{"isStaff":true}}}',
    ]) {
      const res = await send(server, '/api/auth/me/', { method: 'PATCH', headers, cookies: sessionCookies(server, ada), body })
      expect(res.status, body).toBe(400)
    }
    const extra = await send(server, '/api/auth/me/', {
      method: 'PATCH',
      headers,
      cookies: sessionCookies(server, ada),
      body: JSON.stringify({ is_staff: true, is_superuser: true, isActive: false, password: 'x', username: 'root', id: 99 }),
    })
    // Unknown fields are ignored, never written (DRF's read-only fields).
    expect(extra.status).toBe(200)
    expect(extra.json).toMatchObject({ username: 'ada', is_staff: false, is_superuser: false })
    expect(await snapshot(server)).toEqual(before)
    expect(({} as Record<string, unknown>).isStaff).toBeUndefined()
  })
})

describe('header limits and malformed HTTP (raw sockets)', () => {
  it('answers a 64 kB header with 431', async () => {
    const raw = await sendRaw(server, `GET /api/health/ HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(65_536)}\r\n\r\n`)
    expect(raw).toMatch(/^HTTP\/1\.1 431 /)
  })
  it('answers 5000 small headers (60 kB) with 431', async () => {
    const headers = Array.from({ length: 5000 }, (_, i) => `X-H${i}: v`).join('\r\n')
    const raw = await sendRaw(server, `GET /api/health/ HTTP/1.1\r\nHost: x\r\n${headers}\r\n\r\n`)
    expect(raw).toMatch(/^HTTP\/1\.1 431 /)
  })
  const malformed: [string, string][] = [
    ['a garbage request line', 'HELLO\r\n\r\n'],
    ['an invalid method token', 'G(T /api/health/ HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['Content-Length and Transfer-Encoding together (smuggling)', 'POST /api/token/verify/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two different Content-Lengths', 'POST /api/token/verify/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}'],
    ['a bad chunk size', 'POST /api/token/verify/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
    ['a header without a colon', 'GET /api/health/ HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n'],
    ['a NUL in a header value', 'GET /api/health/ HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'],
    ['a bare LF in a header', 'GET /api/health/ HTTP/1.1\r\nHost: x\r\nX-A: a\nX-B: b\r\n\r\n'],
    ['space before the colon', 'GET /api/health/ HTTP/1.1\r\nHost : x\r\n\r\n'],
    ['an obsolete line folding', 'GET /api/health/ HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n'],
    ['HTTP/1.1 without Host', 'GET /api/health/ HTTP/1.1\r\n\r\n'],
  ]
  for (const [name, bytes] of malformed) {
    it(`answers ${name} with 400 and closes`, async () => {
      const raw = await sendRaw(server, bytes)
      expect(raw).toMatch(/^HTTP\/1\.1 400 /)
    })
  }
  it('serves the next connection normally after all that', async () => {
    expect((await send(server, '/api/health/')).status).toBe(200)
  })
  it('answers a path traversal in the URL with the SPA or 404, never a file', async () => {
    for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/api/..%2f..%2fpackage.json']) {
      const res = await send(server, path)
      expect(res.text, path).not.toMatch(/root:|"name":/)
      expect(res.status).toBeLessThan(500)
    }
  })
})

describe('caching and hardening headers', () => {
  async function everyResponse(): Promise<[string, Exchange][]> {
    const pair = await obtainPair(server, 'ada')
    const s = await login(server, 'ada')
    return [
      ['login', await send(server, '/api/auth/login/', { method: 'POST', body: { username: 'ada', password: PASSWORD } })],
      ['login failure', await send(server, '/api/auth/login/', { method: 'POST', body: { username: 'ada', password: 'nope nope' } })],
      ['refresh', await send(server, '/api/auth/refresh/', { method: 'POST', cookies: { refresh_token: s.refresh } })],
      ['refresh failure', await send(server, '/api/auth/refresh/', { method: 'POST' })],
      ['logout', await send(server, '/api/auth/logout/', { method: 'POST' })],
      ['me', await send(server, '/api/auth/me/', { cookies: sessionCookies(server, ada) })],
      ['me 401', await send(server, '/api/auth/me/')],
      ['csrf', await send(server, '/api/auth/csrf/')],
      ['token', await send(server, '/api/token/', { method: 'POST', body: { username: 'ada', password: PASSWORD } })],
      ['token refresh', await send(server, '/api/token/refresh/', { method: 'POST', body: { refresh: pair.refresh } })],
      ['token verify', await send(server, '/api/token/verify/', { method: 'POST', body: { token: pair.access } })],
      ['415', await send(server, '/api/token/verify/', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })],
      ['405', await send(server, '/api/auth/login/')],
      ['404', await send(server, '/api/nope/')],
      ['health', await send(server, '/api/health/')],
    ]
  }
  it('Cache-Control: no-store and nosniff on every API response, success or error', async () => {
    for (const [name, res] of await everyResponse()) {
      expect(res.status, name).toBeLessThan(500)
      expect(res.headers['cache-control'], name).toBe('no-store')
      expect(res.headers['x-content-type-options'], name).toBe('nosniff')
      expect(res.headers['content-type'] ?? 'application/json', name).toMatch(/^application\/json/)
    }
  })
  it('a CSP with frame-ancestors, object-src and base-uri none, and Referrer-Policy no-referrer, on every API response', async () => {
    for (const [name, res] of await everyResponse()) {
      const csp = String(res.headers['content-security-policy'])
      expect(csp, name).toMatch(/default-src 'none'/)
      expect(csp, name).toMatch(/base-uri 'none'/)
      expect(csp, name).toMatch(/frame-ancestors 'none'/)
      expect(res.headers['referrer-policy'], name).toBe('no-referrer')
      // Plain HTTP: no HSTS (browsers would ignore it; RFC 6797 §8.1).
      expect(res.headers['strict-transport-security'], name).toBeUndefined()
    }
  })
  it('Strict-Transport-Security for a year with includeSubDomains on HTTPS responses, API and app alike', async () => {
    const behindProxy = await startServer({ trustProxy: true }, { staticHtml: '<!doctype html><title>app</title>' })
    try {
      for (const path of ['/api/auth/csrf/', '/api/nope/', '/']) {
        const res = await send(behindProxy, path, { headers: { 'x-forwarded-proto': 'https' } })
        expect(res.headers['strict-transport-security'], path).toBe('max-age=31536000; includeSubDomains')
      }
      expect((await send(behindProxy, '/api/auth/csrf/')).headers['strict-transport-security']).toBeUndefined()
    } finally {
      await behindProxy.close()
    }
  })
  it('nosniff on preflights and on the SPA', async () => {
    const pre = await send(server, '/api/auth/login/', { method: 'OPTIONS', headers: { origin: FRONTEND, 'access-control-request-method': 'POST' } })
    expect(pre.headers['x-content-type-options']).toBe('nosniff')
    expect((await send(server, '/')).headers['x-content-type-options']).toBe('nosniff')
  })
  it('HTML gets a restrictive CSP, X-Frame-Options DENY and no token', async () => {
    for (const path of ['/', '/profile', '/index.html']) {
      const res = await send(server, path, { cookies: sessionCookies(server, ada) })
      expect(res.status, path).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      const csp = String(res.headers['content-security-policy'])
      expect(csp).toMatch(/default-src 'self'/)
      expect(csp).toMatch(/frame-ancestors 'none'/)
      expect(csp).toMatch(/object-src 'none'/)
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.setCookies).toEqual([])
    }
  })
})
