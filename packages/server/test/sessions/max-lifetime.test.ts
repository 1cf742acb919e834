import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodePayload, send, signIn, startTestServer, type TestServer } from '../helpers.js'

// A clock the test moves: the session's absolute lifetime is 1 hour, the refresh lifetime 1 day.
let offset = 0
let server: TestServer

beforeAll(async () => {
  server = await startTestServer(
    { sessionMaxLifetime: '1h', refreshGraceWindow: 0 },
    { now: () => new Date(Date.now() + offset) },
  )
  await server.createUser('alice')
})
afterAll(() => server.close())

describe('sessionMaxLifetime (OWASP ASVS 3.3.2)', () => {
  it('caps every token of a session at login time + the absolute lifetime, however often it rotates', async () => {
    offset = 0
    const { client } = await signIn(server, 'alice')
    const first = decodePayload(client.jar.get('refresh_token')!)
    const authTime = first.auth_time as number
    expect(authTime).toBe(first.iat)
    expect(first.exp).toBe(authTime + 3600)

    offset = 30 * 60_000 // half an hour later, rotate
    const rotated = await client.post('/api/auth/refresh/', {})
    expect(rotated.status).toBe(200)
    const second = decodePayload(client.jar.get('refresh_token')!)
    expect(second.auth_time).toBe(authTime)
    expect(second.exp).toBe(authTime + 3600)
    expect(decodePayload(client.jar.get('access_token')!).exp).toBeLessThanOrEqual(authTime + 3600)

    offset = 61 * 60_000 // past the absolute lifetime: the session is over, a new login is needed
    const refused = await client.post('/api/auth/refresh/', {})
    expect(refused.status).toBe(401)
    expect(refused.json.code).toBe('token_not_valid')
    offset = 0
  })

  it('can be turned off with null', async () => {
    const open = await startTestServer({ sessionMaxLifetime: null })
    try {
      await open.createUser('bob')
      const pair = await send(open.url, 'POST', '/api/token/', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bob', password: 'Zephyr-Quartz-Lantern-42' }),
      })
      const refresh = decodePayload(pair.json.refresh)
      expect((refresh.exp as number) - (refresh.iat as number)).toBe(86400)
    } finally {
      await open.close()
    }
  })
})
