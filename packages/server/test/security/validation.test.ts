/**
 * Validation errors name every bad field of a request at once, in DRF's shape `{"field": ["message"]}`, over real
 * HTTP — never only the first one (the service's ajv runs with allErrors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { login, send, sessionCookies, startServer, type Session, type TestServer } from './harness.js'

let server: TestServer
let ada: Session
beforeAll(async () => {
  server = await startServer()
  await server.createUser('ada')
  ada = await login(server, 'ada')
})
afterAll(async () => {
  await server?.close()
})

const post = (path: string, body: unknown) => send(server, path, { method: 'POST', body })

describe('every bad field at once', () => {
  it('a login with neither username nor password names both', async () => {
    for (const path of ['/api/auth/login/', '/api/token/']) {
      const res = await post(path, {})
      expect(res.status, path).toBe(400)
      expect(res.json, path).toEqual({ username: ['This field is required.'], password: ['This field is required.'] })
    }
  })

  it('a login with two wrongly typed fields names both', async () => {
    const res = await post('/api/auth/login/', { username: 7, password: ['x'] })
    expect(res.status).toBe(400)
    expect(Object.keys(res.json as object).sort()).toEqual(['password', 'username'])
  })

  it('one missing and one blank field: both, each with its own message', async () => {
    const res = await post('/api/auth/login/', { username: '' })
    expect(res.status).toBe(400)
    expect(res.json).toEqual({ username: ['This field may not be blank.'], password: ['This field is required.'] })
  })

  it('a password change missing both passwords names both', async () => {
    const res = await send(server, '/api/auth/password/change/', {
      method: 'POST',
      body: {},
      cookies: sessionCookies(server, ada),
      headers: { 'x-csrftoken': ada.csrf },
    })
    expect(res.status).toBe(400)
    expect(res.json).toEqual({ old_password: ['This field is required.'], new_password: ['This field is required.'] })
  })

  it('a profile update with three overlong fields names all three', async () => {
    const res = await send(server, '/api/auth/me/', {
      method: 'PATCH',
      body: { email: 'e'.repeat(300), first_name: 'f'.repeat(200), last_name: 'l'.repeat(200) },
      cookies: sessionCookies(server, ada),
      headers: { 'x-csrftoken': ada.csrf },
    })
    expect(res.status).toBe(400)
    expect(Object.keys(res.json as object).sort()).toEqual(['email', 'first_name', 'last_name'])
    for (const messages of Object.values(res.json as Record<string, unknown>)) {
      expect(messages).toEqual([expect.stringMatching(/^Ensure this field has no more than \d+ characters\.$/)])
    }
  })
})

describe('passwords as typed (ASVS 5.0 §6.2.5, §6.2.8, §6.2.9)', () => {
  const long = 'correct horse battery staple '.repeat(5).trim()
  const odd = 'пароль 🔑 with spaces,\ttabs and "quotes" ¯\\_(ツ)_/¯'
  beforeAll(async () => {
    await server.createUser('long', { password: long })
    await server.createUser('odd', { password: odd })
  })

  it('accepts a password of 140 characters and one of any characters, exactly as set', async () => {
    expect(long.length).toBeGreaterThanOrEqual(64)
    expect((await post('/api/token/', { username: 'long', password: long })).status).toBe(200)
    expect((await post('/api/token/', { username: 'odd', password: odd })).status).toBe(200)
  })

  it('refuses it truncated, with another case, trimmed or normalised', async () => {
    for (const attempt of [long.slice(0, 72), long.slice(0, 64), long.toUpperCase(), ` ${long}`, `${long} `]) {
      expect((await post('/api/token/', { username: 'long', password: attempt })).status).toBe(401)
    }
    expect((await post('/api/token/', { username: 'odd', password: odd.normalize('NFKC') })).status).toBe(odd === odd.normalize('NFKC') ? 200 : 401)
    expect((await post('/api/token/', { username: 'odd', password: odd.replace('\t', ' ') })).status).toBe(401)
  })
})
