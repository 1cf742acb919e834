import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { VerifiedToken } from '@cookiejwt/core'
import { verifyAccessToken } from '@cookiejwt/core'
import { SessionManager } from '../../src/sessions/manager.js'
import { Client, decodePayload, send } from '../helpers.js'
import { PASSWORD, startSessionServer, type SessionServer } from './server.js'

let server: SessionServer

beforeAll(async () => {
  server = await startSessionServer()
  await server.createUser('bea')
  await server.createUser('cy')
})
afterAll(async () => {
  await server?.close()
})

async function login(username: string, userAgent: string, password = PASSWORD): Promise<Client> {
  const client = new Client(server.url)
  const res = await client.post('/api/auth/login/', { username, password }, { headers: { 'user-agent': userAgent } })
  expect(res.status).toBe(200)
  return client
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('sessions endpoints', () => {
  it('lists the active sessions with user agent, IP and which one is current', async () => {
    const laptop = await login('bea', 'Laptop Firefox')
    const phone = await login('bea', 'Phone Safari')
    const res = await laptop.get('/api/auth/sessions/')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const mine = res.json as { id: string; user_agent: string; ip: string; current: boolean; created_at: string; last_used_at: string }[]
    const laptopSid = decodePayload(laptop.jar.get('access_token')!).sid
    const phoneSid = decodePayload(phone.jar.get('access_token')!).sid
    const byId = new Map(mine.map((s) => [s.id, s]))
    expect(byId.get(laptopSid as string)).toMatchObject({ user_agent: 'Laptop Firefox', ip: '127.0.0.1', current: true })
    expect(byId.get(phoneSid as string)).toMatchObject({ user_agent: 'Phone Safari', current: false })
    expect(Number.isNaN(Date.parse(byId.get(laptopSid as string)!.created_at))).toBe(false)
    expect(mine.filter((s) => s.current)).toHaveLength(1)
  })

  it('DELETE revokes one session; its access token is refused on the next request', async () => {
    const laptop = await login('bea', 'Laptop')
    const phone = await login('bea', 'Phone')
    expect((await phone.get('/api/auth/me/')).status).toBe(200)
    const phoneSid = decodePayload(phone.jar.get('access_token')!).sid as string
    const res = await laptop.request('DELETE', `/api/auth/sessions/${phoneSid}/`)
    expect(res.status).toBe(204)
    const me = await phone.get('/api/auth/me/')
    expect(me.status).toBe(401)
    expect(me.json).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' })
    expect((await phone.post('/api/auth/refresh/')).status).toBe(401)
    expect((await laptop.get('/api/auth/me/')).status).toBe(200)
    const list = (await laptop.get('/api/auth/sessions/')).json as { id: string }[]
    expect(list.map((s) => s.id)).not.toContain(phoneSid)
  })

  it('DELETE needs the CSRF token when cookie-authenticated', async () => {
    const laptop = await login('bea', 'Laptop')
    const sid = decodePayload(laptop.jar.get('access_token')!).sid as string
    const res = await laptop.request('DELETE', `/api/auth/sessions/${sid}/`, { csrf: false })
    expect(res.status).toBe(403)
    expect(res.json.code).toBe('permission_denied')
    expect((await laptop.get('/api/auth/me/')).status).toBe(200)
  })

  it("answers 404 for an unknown id and for another user's session, and revokes nothing", async () => {
    const bea = await login('bea', 'Laptop')
    const cy = await login('cy', 'Desktop')
    const cySid = decodePayload(cy.jar.get('access_token')!).sid as string
    for (const id of [cySid, '0'.repeat(32), 'not-a-session', "1' or '1'='1"]) {
      const res = await bea.request('DELETE', `/api/auth/sessions/${encodeURIComponent(id)}/`)
      expect(res.status).toBe(404)
      expect(res.json).toEqual({ detail: 'Not found.', code: 'not_found' })
    }
    expect((await cy.get('/api/auth/me/')).status).toBe(200)
  })

  it('revoke-others keeps only the current session', async () => {
    const keep = await login('cy', 'Keep')
    const other1 = await login('cy', 'Other 1')
    const other2 = await login('cy', 'Other 2')
    const res = await keep.post('/api/auth/sessions/revoke-others/')
    expect(res.status).toBe(200)
    expect(res.json.revoked).toBeGreaterThanOrEqual(2)
    expect((await other1.get('/api/auth/me/')).status).toBe(401)
    expect((await other2.post('/api/auth/refresh/')).status).toBe(401)
    expect((await keep.get('/api/auth/me/')).status).toBe(200)
    expect((await keep.post('/api/auth/refresh/')).status).toBe(200)
    const list = (await keep.get('/api/auth/sessions/')).json as { current: boolean }[]
    expect(list).toHaveLength(1)
    expect(list[0]!.current).toBe(true)
  })

  it('answers 401 without credentials and 405 for other methods', async () => {
    expect((await send(server.url, 'GET', '/api/auth/sessions/')).json.code).toBe('not_authenticated')
    expect((await send(server.url, 'PUT', '/api/auth/sessions/')).status).toBe(405)
  })
})

describe('password change and revoke-all', () => {
  it('password change (cookie flow) ends every other session at once and keeps this browser signed in', async () => {
    await server.createUser('dee')
    const here = await login('dee', 'Here')
    const elsewhere = await login('dee', 'Elsewhere')
    const bearerPair = await send(server.url, 'POST', '/api/token/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dee', password: PASSWORD }),
    })
    expect((await elsewhere.get('/api/auth/me/')).status).toBe(200)
    const res = await here.post('/api/auth/password/change/', { old_password: PASSWORD, new_password: 'Another-Long-Pass-77' })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({})
    expect((await elsewhere.get('/api/auth/me/')).status).toBe(401)
    expect((await elsewhere.post('/api/auth/refresh/')).status).toBe(401)
    expect((await send(server.url, 'GET', '/api/auth/me/', { headers: bearer(bearerPair.json.access) })).status).toBe(401)
    expect((await here.get('/api/auth/me/')).status).toBe(200)
    expect((await here.post('/api/auth/refresh/')).status).toBe(200)
    expect((await here.get('/api/auth/sessions/')).json).toHaveLength(1)
  })

  it('password change (Bearer flow) keeps the current session: the old access token dies, its refresh token still works', async () => {
    await server.createUser('eve')
    const other = await login('eve', 'Other')
    const pair = await send(server.url, 'POST', '/api/token/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'eve', password: PASSWORD }),
    })
    const res = await send(server.url, 'POST', '/api/auth/password/change/', {
      headers: { ...bearer(pair.json.access), 'content-type': 'application/json' },
      body: JSON.stringify({ old_password: PASSWORD, new_password: 'Another-Long-Pass-77' }),
    })
    expect(res.status).toBe(200)
    expect((await send(server.url, 'GET', '/api/auth/me/', { headers: bearer(pair.json.access) })).status).toBe(401)
    expect((await other.get('/api/auth/me/')).status).toBe(401)
    const refreshed = await send(server.url, 'POST', '/api/token/refresh/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: pair.json.refresh }),
    })
    expect(refreshed.status).toBe(200)
    expect(decodePayload(refreshed.json.access).sv).toBe(1)
    expect((await send(server.url, 'GET', '/api/auth/me/', { headers: bearer(refreshed.json.access) })).status).toBe(200)
  })

  it('revoke-all logs out everywhere, this browser included', async () => {
    await server.createUser('fay')
    const a = await login('fay', 'A')
    const b = await login('fay', 'B')
    const res = await a.post('/api/auth/sessions/revoke-all/')
    expect(res.status).toBe(200)
    expect(res.cookie('access_token')?.attributes['max-age']).toBe('0')
    expect((await b.get('/api/auth/me/')).status).toBe(401)
    const stale = await send(server.url, 'GET', '/api/auth/me/', { headers: { cookie: `access_token=${b.jar.get('access_token')}` } })
    expect(stale.status).toBe(401)
  })
})

describe('the cost of the revocation check', () => {
  it('is an in-process map lookup once cached, and one primary-key read on a miss (measured)', async () => {
    const manager = new SessionManager({ settings: server.settings, database: server.database, tokens: server.tokens })
    await server.createUser('gus')
    const client = await login('gus', 'Bench')
    const token: VerifiedToken = verifyAccessToken(server.settings, client.jar.get('access_token')!)
    expect(await manager.isRevoked(token)).toBe(false)
    const hits = 20_000
    let start = process.hrtime.bigint()
    for (let i = 0; i < hits; i++) await manager.isRevoked(token)
    const cachedNs = Number(process.hrtime.bigint() - start) / hits
    const misses = 300
    start = process.hrtime.bigint()
    for (let i = 0; i < misses; i++) {
      // A fresh manager has an empty cache: every call reads the database.
      const cold = new SessionManager({ settings: server.settings, database: server.database, tokens: server.tokens })
      await cold.isRevoked(token)
    }
    const missNs = Number(process.hrtime.bigint() - start) / misses
    console.log(`revocation check: cached ${(cachedNs / 1000).toFixed(2)} µs/request, cache miss (SQLite) ${(missNs / 1000).toFixed(1)} µs`)
    expect(cachedNs).toBeLessThan(50_000)
    expect(missNs).toBeLessThan(20_000_000)
  })

  it('with revocationChecks off, a revoked session keeps its access token until it expires', async () => {
    const relaxed = await startSessionServer({ revocationChecks: false })
    try {
      await relaxed.createUser('hal')
      const client = new Client(relaxed.url)
      expect((await client.post('/api/auth/login/', { username: 'hal', password: PASSWORD })).status).toBe(200)
      const access = client.jar.get('access_token')!
      expect((await client.post('/api/auth/logout/')).status).toBe(200)
      expect((await send(relaxed.url, 'GET', '/api/auth/me/', { headers: bearer(access) })).status).toBe(200)
    } finally {
      await relaxed.close()
    }
  })
})
