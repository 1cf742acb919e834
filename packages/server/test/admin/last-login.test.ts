import { afterEach, describe, expect, it } from 'vitest'
import { Client, PASSWORD, signIn, startTestServer, type TestServer } from '../helpers.js'

describe('last_login is kept current by every login', () => {
  let server: TestServer
  afterEach(() => server.close())

  it('the cookie login writes it and its own response already shows it (the demo app said "Never")', async () => {
    server = await startTestServer()
    const ada = await server.createUser('ada')
    expect(ada.lastLogin).toBeNull()
    const before = Date.now()
    const { client, res } = await signIn(server, 'ada')
    const shown = Date.parse(res.json.user.last_login)
    expect(shown).toBeGreaterThanOrEqual(before - 1000)
    expect(shown).toBeLessThanOrEqual(Date.now() + 1000)
    const stored = (await server.users.findById(ada.id))!.lastLogin!
    expect(stored.toISOString()).toBe(res.json.user.last_login)
    expect((await client.get('/api/auth/me/')).json.last_login).toBe(res.json.user.last_login)
  })

  it('the Bearer login (/api/token/) writes it too, and a later login moves it forward', async () => {
    server = await startTestServer()
    const bob = await server.createUser('bob')
    const api = new Client(server.url)
    expect((await api.post('/api/token/', { username: 'bob', password: PASSWORD })).status).toBe(200)
    const first = (await server.users.findById(bob.id))!.lastLogin!
    expect(first).toBeInstanceOf(Date)
    await new Promise((resolve) => setTimeout(resolve, 20))
    await signIn(server, 'bob')
    expect((await server.users.findById(bob.id))!.lastLogin!.getTime()).toBeGreaterThan(first.getTime())
  })

  it('a failed login does not touch it', async () => {
    server = await startTestServer()
    const carol = await server.createUser('carol')
    expect((await new Client(server.url).post('/api/auth/login/', { username: 'carol', password: 'wrong' })).status).toBe(401)
    expect((await server.users.findById(carol.id))!.lastLogin).toBeNull()
  })

  it('updateLastLogin: false (simplejwt UPDATE_LAST_LOGIN = False) turns it off', async () => {
    server = await startTestServer({ updateLastLogin: false })
    const dan = await server.createUser('dan')
    const { res } = await signIn(server, 'dan')
    expect(res.json.user.last_login).toBeNull()
    expect((await new Client(server.url).post('/api/token/', { username: 'dan', password: PASSWORD })).status).toBe(200)
    expect((await server.users.findById(dan.id))!.lastLogin).toBeNull()
  })
})
