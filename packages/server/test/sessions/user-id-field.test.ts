/** simplejwt's USER_ID_FIELD = 'username': tokens name the user by username, and sessions still work end to end. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodePayload, signIn, startTestServer, type TestServer } from '../helpers.js'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer({ userIdField: 'username', userIdClaim: 'username' })
  await server.createUser('grace')
})
afterAll(() => server.close())

describe("userIdField: 'username'", () => {
  it('signs in, is recognised, refreshes and logs out with a username in the token', async () => {
    const { client, res } = await signIn(server, 'grace')
    expect(decodePayload(res.cookie('access_token')!.value)).toMatchObject({ username: 'grace' })
    const me = await client.get('/api/auth/me/')
    expect(me.status, me.text).toBe(200)
    expect(me.json).toMatchObject({ username: 'grace' })
    expect((await client.post('/api/auth/refresh/')).status).toBe(200)
    expect((await client.get('/api/auth/me/')).status).toBe(200)
    expect((await client.post('/api/auth/logout/')).status).toBe(200)
    expect((await client.get('/api/auth/me/')).status).toBe(401)
  })
})
