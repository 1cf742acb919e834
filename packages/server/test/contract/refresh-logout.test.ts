import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, decodePayload, PASSWORD, send, signIn, startTestServer, type TestServer } from '../helpers.js'

let server: TestServer
// A one-second rotation grace window, so "after the grace window" is a short real wait, on every adapter (an
// out-of-process server such as Next.js's cannot share an injected clock).
const GRACE_SECONDS = 1

beforeAll(async () => {
  server = await startTestServer({ refreshGraceWindow: GRACE_SECONDS })
  await server.createUser('alice')
})
afterAll(() => server.close())

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('POST /api/auth/refresh/', () => {
  it('issues a new access cookie and a rotated refresh cookie', async () => {
    const { client } = await signIn(server, 'alice')
    const oldAccess = client.jar.get('access_token')
    const oldRefresh = client.jar.get('refresh_token')!
    const res = await client.post('/api/auth/refresh/', {})
    expect(res.status).toBe(200)
    expect(Date.parse(res.json.access_expires)).toBeGreaterThan(Date.now())
    expect(res.json).not.toHaveProperty('access')
    expect(res.cookie('access_token')!.raw).toMatch(/; Max-Age=300; Path=\/; HttpOnly; SameSite=Lax$/)
    expect(res.cookie('refresh_token')!.raw).toMatch(/; Max-Age=86400; Path=\/api\/auth\/; HttpOnly; SameSite=Lax$/)
    expect(client.jar.get('access_token')).not.toBe(oldAccess)
    expect(client.jar.get('refresh_token')).not.toBe(oldRefresh)
    expect(decodePayload(client.jar.get('refresh_token')!).user_id).toBe(decodePayload(oldRefresh).user_id)
    expect((await client.get('/api/auth/me/')).status).toBe(200)
  })

  it('refuses the old refresh token once it was rotated (blacklisted), and clears both cookies', async () => {
    const { client } = await signIn(server, 'alice')
    const oldRefresh = client.jar.get('refresh_token')!
    expect((await client.post('/api/auth/refresh/', {})).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 1000 + 250)) // past the rotation grace window
    const replay = await send(server.url, 'POST', '/api/auth/refresh/', { headers: { cookie: `refresh_token=${oldRefresh}` } })
    expect(replay.status).toBe(401)
    expect(replay.json.code).toBe('token_not_valid')
    expect(replay.cookie('access_token')?.attributes['max-age']).toBe('0')
    expect(replay.cookie('refresh_token')?.attributes['max-age']).toBe('0')
    expect(replay.cookie('refresh_token')?.attributes.path).toBe('/api/auth/')
    const viaBearer = await send(server.url, 'POST', '/api/token/refresh/', json({ refresh: oldRefresh }))
    expect(viaBearer.status).toBe(401)
  })

  it('answers a missing or bad refresh token with 401 token_not_valid and cleared cookies', async () => {
    for (const cookie of [undefined, 'refresh_token=garbage']) {
      const res = await send(server.url, 'POST', '/api/auth/refresh/', cookie ? { headers: { cookie } } : {})
      expect(res.status).toBe(401)
      expect(res.json.code).toBe('token_not_valid')
      expect(res.cookies.map((c) => `${c.name}:${c.attributes['max-age']}`).sort()).toEqual(['access_token:0', 'refresh_token:0'])
    }
  })

  it('refuses an access token as a refresh token', async () => {
    const { client } = await signIn(server, 'alice')
    const res = await send(server.url, 'POST', '/api/auth/refresh/', { headers: { cookie: `refresh_token=${client.jar.get('access_token')}` } })
    expect(res.status).toBe(401)
    expect(res.json.code).toBe('token_not_valid')
  })

  it('refuses a refresh from a foreign Origin', async () => {
    const { client } = await signIn(server, 'alice')
    const res = await client.post('/api/auth/refresh/', {}, { headers: { origin: 'http://evil.example.com' } })
    expect(res.status).toBe(403)
  })

  it('mints nothing for a deactivated user', async () => {
    const frank = await server.createUser('frank')
    const { client } = await signIn(server, 'frank')
    await server.users.update(frank.id, { isActive: false })
    const res = await client.post('/api/auth/refresh/', {})
    expect(res.status).toBe(401)
    expect(res.json.code).toBe('token_not_valid')
    expect(res.cookie('access_token')?.attributes['max-age']).toBe('0')
  })

  it('never fails because of a stale access cookie', async () => {
    const { client } = await signIn(server, 'alice')
    client.jar.set('access_token', 'stale.bad.token')
    expect((await client.post('/api/auth/refresh/', {})).status).toBe(200)
  })
})

describe('POST /api/auth/logout/', () => {
  it('clears both JWT cookies and blacklists the refresh token', async () => {
    const { client } = await signIn(server, 'alice')
    const refresh = client.jar.get('refresh_token')!
    const res = await client.post('/api/auth/logout/', {})
    expect(res.status).toBe(200)
    expect(res.json).toEqual({})
    expect(res.cookie('access_token')!.raw).toBe('access_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax')
    expect(res.cookie('refresh_token')!.raw).toBe('refresh_token=; Max-Age=0; Path=/api/auth/; HttpOnly; SameSite=Lax')
    const after = await send(server.url, 'POST', '/api/token/refresh/', json({ refresh }))
    expect(after.status).toBe(401)
    expect(after.json.code).toBe('token_not_valid')
  })

  it('is idempotent: no cookies, or a bad token, still 200 with cleared cookies', async () => {
    const variants: Record<string, string>[] = [{}, { cookie: 'refresh_token=garbage; access_token=junk' }]
    for (const headers of variants) {
      const res = await send(server.url, 'POST', '/api/auth/logout/', { headers })
      expect(res.status).toBe(200)
      expect(res.cookies.map((c) => c.name).sort()).toEqual(['access_token', 'refresh_token'])
    }
  })
})

describe('the Bearer flow (simplejwt-compatible)', () => {
  it('obtains, refreshes with rotation, verifies and blacklists', async () => {
    const pair = await send(server.url, 'POST', '/api/token/', json({ username: 'alice', password: PASSWORD }))
    expect(pair.status).toBe(200)
    expect(Object.keys(pair.json).sort()).toEqual(['access', 'refresh'])
    expect(pair.cookies).toEqual([])
    expect((await send(server.url, 'POST', '/api/token/verify/', json({ token: pair.json.access }))).status).toBe(200)
    expect((await send(server.url, 'POST', '/api/token/verify/', json({ token: pair.json.refresh }))).status).toBe(200)
    const bad = await send(server.url, 'POST', '/api/token/verify/', json({ token: 'x.y.z' }))
    expect(bad.status).toBe(401)
    expect(bad.json.code).toBe('token_not_valid')

    const refreshed = await send(server.url, 'POST', '/api/token/refresh/', json({ refresh: pair.json.refresh }))
    expect(refreshed.status).toBe(200)
    expect(Object.keys(refreshed.json).sort()).toEqual(['access', 'refresh'])
    expect(decodePayload(refreshed.json.access).token_type).toBe('access')

    const wrongType = await send(server.url, 'POST', '/api/token/refresh/', json({ refresh: refreshed.json.access }))
    expect(wrongType.status).toBe(401)

    const blacklisted = await send(server.url, 'POST', '/api/token/blacklist/', json({ refresh: refreshed.json.refresh }))
    expect(blacklisted.status).toBe(200)
    const again = await send(server.url, 'POST', '/api/token/blacklist/', json({ refresh: refreshed.json.refresh }))
    expect(again.status).toBe(401)
    const verifyBlacklisted = await send(server.url, 'POST', '/api/token/verify/', json({ token: refreshed.json.refresh }))
    expect(verifyBlacklisted.status).toBe(401)
    expect(verifyBlacklisted.json.code).toBe('token_not_valid')
  })

  it('answers bad credentials as login does', async () => {
    const res = await send(server.url, 'POST', '/api/token/', json({ username: 'alice', password: 'wrong' }))
    expect(res.status).toBe(401)
    expect(res.json.code).toBe('no_active_account')
  })

  it('refuses concurrent refreshes of one token except one (single-winner rotation)', async () => {
    const pair = await send(server.url, 'POST', '/api/token/', json({ username: 'alice', password: PASSWORD }))
    const results = await Promise.all(
      Array.from({ length: 10 }, () => send(server.url, 'POST', '/api/token/refresh/', json({ refresh: pair.json.refresh }))),
    )
    expect(results.every((r) => r.status === 200 || r.status === 401)).toBe(true)
    const winners = new Set(results.filter((r) => r.status === 200).map((r) => r.json.refresh))
    // Exactly one successor exists (concurrent losers inside a grace window may be handed the same one).
    expect(winners.size).toBe(1)
  })
})

describe('Client helper sanity', () => {
  it('keeps cookies between requests', async () => {
    const client = new Client(server.url)
    await client.post('/api/auth/login/', { username: 'alice', password: PASSWORD })
    expect(client.jar.has('access_token')).toBe(true)
  })
})
