/**
 * CORS over real HTTP: only the exact allowed origins get Access-Control-Allow-Origin (never `*`, never `null`, never a
 * look-alike); preflights answer allowed origins only; every response varies on Origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRONTEND, PASSWORD, send, startServer, type Exchange, type TestServer } from './harness.js'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
  await server.createUser('ada')
})
afterAll(async () => {
  await server?.close()
})

const LOOK_ALIKES = [
  'https://evil.example',
  'null',
  'http://localhost:3000.evil.com',
  'http://evil-localhost:3000',
  'http://localhost:30000',
  'http://localhost:300',
  'https://localhost:3000',
  'http://localhost:3000/',
  'http://LOCALHOST:3000.evil.com',
  'http://localhost%2e:3000',
  'http://127.0.0.1:3000@evil.com',
  '*',
]

function expectNoCors(res: Exchange) {
  expect(res.headers['access-control-allow-origin']).toBeUndefined()
  expect(res.headers['access-control-allow-credentials']).toBeUndefined()
  expect(res.headers['access-control-allow-methods']).toBeUndefined()
  expect(String(res.headers.vary ?? '')).toMatch(/origin/i)
}

describe('simple requests', () => {
  for (const origin of LOOK_ALIKES) {
    it(`gives ${origin} no CORS headers`, async () => {
      expectNoCors(await send(server, '/api/auth/me/', { headers: { origin } }))
    })
  }
  it('gives the allowed origins themselves, with credentials, and Vary: Origin', async () => {
    for (const origin of [FRONTEND, 'http://127.0.0.1:3000']) {
      const res = await send(server, '/api/auth/csrf/', { headers: { origin } })
      expect(res.headers['access-control-allow-origin']).toBe(origin)
      expect(res.headers['access-control-allow-credentials']).toBe('true')
      expect(String(res.headers.vary)).toMatch(/origin/i)
    }
  })
  it('never answers with a wildcard, even without an Origin', async () => {
    const res = await send(server, '/api/health/')
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })
  it('a foreign-origin login response carries no CORS headers and no cookie', async () => {
    const res = await send(server, '/api/auth/login/', { method: 'POST', headers: { origin: 'https://evil.example' }, body: { username: 'ada', password: PASSWORD } })
    expectNoCors(res)
    expect(res.setCookies).toEqual([])
  })
})

describe('preflights', () => {
  const preflight = (origin: string, method = 'POST', headers = 'content-type,x-csrftoken') =>
    send(server, '/api/auth/login/', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    })
  it('answers an allowed origin with 204, its methods and headers, and Vary: Origin', async () => {
    const res = await preflight(FRONTEND)
    expect(res.status).toBe(204)
    expect(res.headers['access-control-allow-origin']).toBe(FRONTEND)
    expect(res.headers['access-control-allow-credentials']).toBe('true')
    expect(String(res.headers['access-control-allow-methods'])).toMatch(/POST/)
    const allowed = String(res.headers['access-control-allow-headers']).toLowerCase()
    for (const h of ['content-type', 'x-csrftoken', 'authorization']) expect(allowed).toContain(h)
    expect(String(res.headers.vary)).toMatch(/origin/i)
    expect(res.setCookies).toEqual([])
  })
  for (const origin of ['https://evil.example', 'null', 'http://localhost:3000.evil.com', 'http://evil-localhost:3000']) {
    it(`answers a preflight from ${origin} without any CORS grant`, async () => {
      const res = await preflight(origin)
      expect(res.status).toBeLessThan(500)
      expect(res.status).not.toBe(200)
      expectNoCors(res)
    })
  }
  it('does not grant a method outside the list (TRACE) in the allow-methods', async () => {
    const res = await preflight(FRONTEND, 'TRACE')
    expect(String(res.headers['access-control-allow-methods'] ?? '')).not.toMatch(/TRACE/)
  })
})
