import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, decodePayload, send } from '../helpers.js'
import { PASSWORD, startSessionServer, type SessionServer } from './server.js'

let server: SessionServer

beforeAll(async () => {
  server = await startSessionServer()
  await server.createUser('ada')
})
afterAll(async () => {
  await server?.close()
})

async function login(userAgent = 'test-agent'): Promise<Client> {
  const client = new Client(server.url)
  const res = await client.post('/api/auth/login/', { username: 'ada', password: PASSWORD }, { headers: { 'user-agent': userAgent } })
  expect(res.status).toBe(200)
  return client
}

describe('refresh-token families', () => {
  it('puts the same session id in the access and refresh tokens of a login', async () => {
    const client = await login()
    const access = decodePayload(client.jar.get('access_token')!)
    const refresh = decodePayload(client.jar.get('refresh_token')!)
    expect(access.sid).toMatch(/^[0-9a-f]{32}$/)
    expect(refresh.sid).toBe(access.sid)
    expect(access.sv).toBe(0)
    expect(refresh.sv).toBeUndefined()
  })

  it('stores the live refresh token as jti + SHA-256 only, and blacklists the rotated one for simplejwt', async () => {
    const client = await login()
    const first = client.jar.get('refresh_token')!
    const res = await client.post('/api/auth/refresh/')
    expect(res.status).toBe(200)
    const second = client.jar.get('refresh_token')!
    const sid = decodePayload(second).sid as string
    const row = await server.database.db.selectFrom('cookiejwt_session').selectAll().where('id', '=', sid).executeTakeFirstOrThrow()
    expect(row.current_jti).toBe(decodePayload(second).jti)
    expect(row.current_hash).toBe(`sha256$${createHash('sha256').update(second).digest('hex')}`)
    expect(row.previous_jti).toBe(decodePayload(first).jti)
    expect(JSON.stringify(row)).not.toContain(second.split('.')[2])
    expect(await server.tokens.isBlacklisted(decodePayload(first).jti as string)).toBe(true)
    expect(await server.tokens.isBlacklisted(decodePayload(second).jti as string)).toBe(false)
  })

  it('gives a replay inside the grace window the identical successor pair', async () => {
    const client = await login()
    const old = client.jar.get('refresh_token')!
    const first = await send(server.url, 'POST', '/api/token/refresh/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: old }),
    })
    expect(first.status).toBe(200)
    server.advance(3)
    const again = await send(server.url, 'POST', '/api/token/refresh/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: old }),
    })
    expect(again.status).toBe(200)
    expect(again.json).toEqual(first.json)
    // The successor keeps working: the family was not revoked.
    const next = await send(server.url, 'POST', '/api/token/refresh/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: first.json.refresh }),
    })
    expect(next.status).toBe(200)
  })

  it('lets concurrent refreshes with one token all succeed with one successor pair (one rotation)', async () => {
    const client = await login()
    const old = client.jar.get('refresh_token')!
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        send(server.url, 'POST', '/api/auth/refresh/', { headers: { cookie: `refresh_token=${old}` } }),
      ),
    )
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200))
    const refreshed = new Set(results.map((r) => r.cookie('refresh_token')?.value))
    const accessed = new Set(results.map((r) => r.cookie('access_token')?.value))
    expect(refreshed.size).toBe(1)
    expect(accessed.size).toBe(1)
  })

  it('revokes the whole family when a rotated token comes back after the grace window, and logs it without the token', async () => {
    const victim = await login()
    const stolen = victim.jar.get('refresh_token')!
    const sid = decodePayload(stolen).sid as string
    expect((await victim.post('/api/auth/refresh/')).status).toBe(200)
    expect((await victim.get('/api/auth/me/')).status).toBe(200)
    server.advance(6)
    const thief = await send(server.url, 'POST', '/api/token/refresh/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: stolen }),
    })
    expect(thief.status).toBe(401)
    expect(thief.json).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' })
    // The victim's current tokens die too: the access token on its very next request, the refresh token at once.
    const me = await victim.get('/api/auth/me/')
    expect(me.status).toBe(401)
    expect(me.json.code).toBe('token_not_valid')
    const refresh = await victim.post('/api/auth/refresh/')
    expect(refresh.status).toBe(401)
    expect(refresh.cookie('refresh_token')?.attributes['max-age']).toBe('0')
    const line = server.logs.find((l) => l.includes('refresh_token_reuse') && l.includes(sid))
    expect(line).toBeDefined()
    const event = JSON.parse(line!)
    expect(event).toMatchObject({ event: 'refresh_token_reuse', security: true, sessionId: sid, jti: decodePayload(stolen).jti, reason: 'reuse' })
    expect(typeof event.userId).toBe('number')
    for (const l of server.logs) {
      expect(l).not.toContain(stolen)
      expect(l).not.toContain(stolen.split('.')[2])
    }
  })

  it('treats a token two rotations old as reuse even inside the grace window', async () => {
    const client = await login()
    const first = client.jar.get('refresh_token')!
    expect((await client.post('/api/auth/refresh/')).status).toBe(200)
    expect((await client.post('/api/auth/refresh/')).status).toBe(200)
    const replay = await send(server.url, 'POST', '/api/token/refresh/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: first }),
    })
    expect(replay.status).toBe(401)
    expect((await client.get('/api/auth/me/')).status).toBe(401)
  })

  it('logout ends the session: its access token is refused on the next request and its refresh token too', async () => {
    const client = await login()
    const access = client.jar.get('access_token')!
    const refresh = client.jar.get('refresh_token')!
    expect((await client.post('/api/auth/logout/')).status).toBe(200)
    const me = await send(server.url, 'GET', '/api/auth/me/', { headers: { authorization: `Bearer ${access}` } })
    expect(me.status).toBe(401)
    const again = await send(server.url, 'POST', '/api/token/refresh/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh }),
    })
    expect(again.status).toBe(401)
  })

  it('refuses a replayed token of a logged-out family even inside the grace window', async () => {
    const client = await login()
    const old = client.jar.get('refresh_token')!
    expect((await client.post('/api/auth/refresh/')).status).toBe(200)
    expect((await client.post('/api/auth/logout/')).status).toBe(200)
    const replay = await send(server.url, 'POST', '/api/token/refresh/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: old }),
    })
    expect(replay.status).toBe(401)
  })
})
