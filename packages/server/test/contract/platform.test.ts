import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send, startTestServer, type TestServer } from '../helpers.js'

let server: TestServer

beforeAll(async () => {
  const staticRoot = mkdtempSync(join(tmpdir(), 'cookiejwt-static-'))
  writeFileSync(join(staticRoot, 'index.html'), '<!doctype html><title>app</title>')
  server = await startTestServer({}, { staticRoot })
  await server.createUser('alice')
})
afterAll(() => server.close())

describe('CORS', () => {
  it('gives an allowed origin credentials and Vary: Origin', async () => {
    const res = await send(server.url, 'GET', '/api/health/', { headers: { origin: 'http://localhost:3000' } })
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000')
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    expect(res.headers.get('vary')).toMatch(/Origin/)
  })

  it.each(['http://evil.example.com', 'null', 'http://localhost:3000.evil.com', 'http://evil-localhost:3000', 'https://localhost:3000'])(
    'gives %s no CORS headers',
    async (origin) => {
      const res = await send(server.url, 'GET', '/api/auth/me/', { headers: { origin } })
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    },
  )

  it('answers a preflight from an allowed origin with 204, methods and headers', async () => {
    const res = await send(server.url, 'OPTIONS', '/api/auth/me/', {
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'content-type,x-csrftoken' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000')
    expect(res.headers.get('access-control-allow-methods')).toMatch(/PATCH/)
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/x-csrftoken/)
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/authorization/)
    expect(res.headers.get('vary')).toMatch(/Origin/)
  })

  it('gives a foreign preflight no CORS headers', async () => {
    const res = await send(server.url, 'OPTIONS', '/api/auth/me/', {
      headers: { origin: 'http://evil.example.com', 'access-control-request-method': 'PATCH' },
    })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
  })
})

describe('headers and the single-page app', () => {
  it('serves the app with a restrictive CSP and no framing', async () => {
    for (const path of ['/', '/profile']) {
      const res = await send(server.url, 'GET', path)
      expect(res.status).toBe(200)
      expect(res.text).toContain('<title>app</title>')
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/)
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    }
  })

  it('sends nosniff and no-store on API responses, errors included', async () => {
    for (const path of ['/api/health/', '/api/auth/me/', '/api/missing/']) {
      const res = await send(server.url, 'GET', path)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('cache-control')).toBe('no-store')
    }
  })
})

describe('health and failing dependencies', () => {
  it('reports ok, then 503 with a DRF body when the database is gone — never a 500 or a hang', async () => {
    const ok = await send(server.url, 'GET', '/api/health/')
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ status: 'ok' })
    await server.database.destroy()
    const health = await send(server.url, 'GET', '/api/health/')
    expect(health.status).toBe(503)
    const login = await send(server.url, 'POST', '/api/auth/login/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'whatever-password' }),
    })
    expect(login.status).toBe(503)
    expect(login.json).toMatchObject({ code: 'service_unavailable' })
    expect(login.text).not.toMatch(/sqlite|SQL|\/tmp\//i)
  })
})
