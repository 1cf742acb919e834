import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, decodePayload, send } from '../helpers.js'
import { PASSWORD, startSessionServer, type SessionServer } from './server.js'

// Re-authentication before sensitive changes (ASVS 5.0 §7.5.1, §7.5.2): within `reauthWindow` (default 10 minutes)
// of the login, ending sessions and changing the email go through; after it they need {"password"} in the body.
// A real server on a movable clock; access tokens last an hour so only the re-authentication window is at stake.
let server: SessionServer

beforeAll(async () => {
  server = await startSessionServer({ accessTokenLifetime: '1h' })
})
afterAll(async () => {
  await server?.close()
})

async function login(username: string): Promise<Client> {
  const client = new Client(server.url)
  expect((await client.post('/api/auth/login/', { username, password: PASSWORD })).status).toBe(200)
  return client
}
const sidOf = (client: Client) => decodePayload(client.jar.get('access_token')!).sid as string
const REQUIRED = { detail: 'Enter your password again to do this.', code: 'reauthentication_required' }
const WRONG = { password: ['Your password was entered incorrectly. Please enter it again.'] }
const del = (client: Client, sid: string, json?: unknown) => client.request('DELETE', `/api/auth/sessions/${sid}/`, json === undefined ? {} : { json })

describe('re-authentication', () => {
  it('defaults to a 10-minute window', () => {
    expect(server.settings.reauthWindow).toBe(600)
  })

  it('lets a fresh login end other sessions without the password', async () => {
    await server.createUser('ivy')
    const here = await login('ivy')
    const other = await login('ivy')
    expect((await del(here, sidOf(other))).status).toBe(204)
    await login('ivy')
    expect((await here.post('/api/auth/sessions/revoke-others/')).json).toEqual({ revoked: 1 })
  })

  it('asks for the password once the login is older than the window: 403 reauthentication_required', async () => {
    await server.createUser('jon')
    const here = await login('jon')
    const other = await login('jon')
    server.advance(601)
    for (const res of [
      await del(here, sidOf(other)),
      await here.post('/api/auth/sessions/revoke-others/'),
      await here.post('/api/auth/sessions/revoke-all/'),
      await here.patch('/api/auth/me/', { email: 'jon@elsewhere.example' }),
    ]) {
      expect(res.status).toBe(403)
      expect(res.json).toEqual(REQUIRED)
    }
    // Nothing changed: both sessions still work, the email is the old one.
    expect((await other.get('/api/auth/me/')).json).toMatchObject({ email: 'jon@example.com' })
    expect((await here.get('/api/auth/sessions/')).json).toHaveLength(2)
  })

  it('accepts the password in the body, refuses a wrong one with a field error, and counts wrong ones', async () => {
    await server.createUser('kim')
    const here = await login('kim')
    const other = await login('kim')
    server.advance(601)
    const wrong = await del(here, sidOf(other), { password: 'not-it' })
    expect(wrong.status).toBe(400)
    expect(wrong.json).toEqual(WRONG)
    expect((await del(here, sidOf(other), { password: PASSWORD })).status).toBe(204)
    await login('kim')
    const others = await here.post('/api/auth/sessions/revoke-others/', { password: PASSWORD })
    expect(others.json).toEqual({ revoked: 1 })
    const email = await here.patch('/api/auth/me/', { email: 'kim@new.example', password: PASSWORD })
    expect(email.status).toBe(200)
    expect(email.json).toMatchObject({ email: 'kim@new.example' })
    // Wrong passwords count as failed logins of the account (a success forgot the earlier one): after 10 from this
    // address, the account is locked here, for re-authentication and login alike.
    for (let i = 0; i < 10; i++) expect((await here.post('/api/auth/sessions/revoke-all/', { password: `guess-${i}` })).status).toBe(400)
    expect((await here.post('/api/auth/sessions/revoke-all/', { password: PASSWORD })).status).toBe(429)
    expect((await new Client(server.url).post('/api/auth/login/', { username: 'kim', password: PASSWORD })).status).toBe(429)
  })

  it('counts a wrong old password at password change as a failed login', async () => {
    await server.createUser('liz')
    const here = await login('liz')
    for (let i = 0; i < 10; i++) {
      const res = await here.post('/api/auth/password/change/', { old_password: `guess-${i}`, new_password: 'Brand-New-Secret-91' })
      expect(res.status).toBe(400)
    }
    const locked = await here.post('/api/auth/password/change/', { old_password: PASSWORD, new_password: 'Brand-New-Secret-91' })
    expect(locked.status).toBe(429)
  })

  it('never needs the password to end the current session, or to change only the names', async () => {
    await server.createUser('lou')
    const here = await login('lou')
    server.advance(601)
    expect((await here.patch('/api/auth/me/', { first_name: 'Lou' })).status).toBe(200)
    expect((await here.patch('/api/auth/me/', { email: 'lou@example.com' })).status).toBe(200)
    expect((await del(here, sidOf(here))).status).toBe(204)
  })

  it('treats a Bearer token the same way', async () => {
    await server.createUser('max')
    const pair = (await send(server.url, 'POST', '/api/token/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'max', password: PASSWORD }),
    })).json as { access: string }
    server.advance(601)
    const headers = { authorization: `Bearer ${pair.access}`, 'content-type': 'application/json' }
    const refused = await send(server.url, 'POST', '/api/auth/sessions/revoke-others/', { headers })
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual(REQUIRED)
    const ok = await send(server.url, 'POST', '/api/auth/sessions/revoke-others/', { headers, body: JSON.stringify({ password: PASSWORD }) })
    expect(ok.status).toBe(200)
  })

  it('with reauthWindow: 0 asks for the password every time', async () => {
    const strict = await startSessionServer({ reauthWindow: 0 })
    try {
      await strict.createUser('ned')
      const client = new Client(strict.url)
      await client.post('/api/auth/login/', { username: 'ned', password: PASSWORD })
      expect((await client.post('/api/auth/sessions/revoke-others/')).json).toEqual(REQUIRED)
      expect((await client.post('/api/auth/sessions/revoke-others/', { password: PASSWORD })).status).toBe(200)
    } finally {
      await strict.close()
    }
  })
})

describe('a login in a browser that already has a session', () => {
  it('ends that session: its refresh token is refused and the sessions list shows only the new one', async () => {
    await server.createUser('ora')
    const browser = await login('ora')
    const oldRefresh = browser.jar.get('refresh_token')!
    const oldSid = sidOf(browser)
    expect((await browser.post('/api/auth/login/', { username: 'ora', password: PASSWORD })).status).toBe(200)
    expect(sidOf(browser)).not.toBe(oldSid)
    const list = (await browser.get('/api/auth/sessions/')).json as { id: string }[]
    expect(list.map((s) => s.id)).toEqual([sidOf(browser)])
    const replay = await send(server.url, 'POST', '/api/token/refresh/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: oldRefresh }),
    })
    expect(replay.status).toBe(401)
    // A failed login leaves the current session alone.
    expect((await browser.post('/api/auth/login/', { username: 'ora', password: 'wrong' })).status).toBe(401)
    expect((await browser.get('/api/auth/sessions/')).status).toBe(200)
  })
})
