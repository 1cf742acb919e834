import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFakeApi } from '../test/fake-api.js'
import {
  createAuthClient,
  type AuthClient,
  type AuthClientOptions,
  type LockManagerLike,
} from './client.js'
import { ApiError } from './errors.js'
import type { AuthEvent } from './types.js'

const clients: AuthClient[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.close()
})

function setup(options: AuthClientOptions = {}) {
  const api = createFakeApi()
  const client = createAuthClient({
    fetch: api.fetch,
    cookies: api.cookies,
    crossTab: false,
    ...options,
  })
  clients.push(client)
  return { api, client }
}

describe('CSRF', () => {
  it('fetches /api/auth/csrf/ when there is no csrftoken cookie, then sends X-CSRFToken on PATCH', async () => {
    const { api, client } = setup()
    const user = await client.updateMe({ first_name: 'Augusta' })
    expect(user.first_name).toBe('Augusta')
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /api/auth/csrf/',
      'PATCH /api/auth/me/',
    ])
    expect(api.calls[1]?.headers.get('X-CSRFToken')).toBe('csrf-token-1')
    expect(api.calls[1]?.headers.get('Content-Type')).toBe('application/json')
  })

  it('reads the token from the cookie and never sends it on GET', async () => {
    const { api, client } = setup()
    api.state.csrf = 'from-cookie'
    await client.me()
    await client.updateMe({ last_name: 'King' })
    expect(api.count('/api/auth/csrf/')).toBe(0)
    expect(api.calls[0]?.headers.has('X-CSRFToken')).toBe(false)
    expect(api.calls[1]?.headers.get('X-CSRFToken')).toBe('from-cookie')
  })

  it('does not fetch a CSRF token for login, which the Origin check guards', async () => {
    const { api, client } = setup()
    await client.login('ada', 'right')
    expect(api.calls.map((c) => c.path)).toEqual(['/api/auth/login/'])
    expect(api.calls[0]?.body).toBe('{"username":"ada","password":"right"}')
  })

  it('uses the custom cookie and header names', async () => {
    const api = createFakeApi()
    const client = createAuthClient({
      fetch: api.fetch,
      cookies: () => 'xsrf=abc',
      csrfCookieName: 'xsrf',
      csrfHeaderName: 'X-XSRF',
      crossTab: false,
    })
    clients.push(client)
    await client.request('/api/other/', { method: 'POST' }).catch(() => undefined)
    expect(api.calls[0]?.headers.get('X-XSRF')).toBe('abc')
  })
})

describe('refresh on 401', () => {
  it('refreshes once on token_not_valid and retries the request', async () => {
    const { api, client } = setup()
    api.state.accessOk = false
    const me = await client.me()
    expect(me.username).toBe('ada')
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /api/auth/me/',
      'POST /api/auth/refresh/',
      'GET /api/auth/me/',
    ])
  })

  it('retries only once: a second 401 is the caller’s error', async () => {
    const { api, client } = setup()
    const fetchOnce = api.fetch
    // The access token stays invalid even after a successful refresh.
    const stubborn = createAuthClient({
      fetch: async (input, init) => {
        const res = await fetchOnce(input, init)
        api.state.accessOk = false
        return res
      },
      cookies: api.cookies,
      crossTab: false,
    })
    clients.push(stubborn)
    api.state.accessOk = false
    await expect(stubborn.me()).rejects.toMatchObject({ status: 401, code: 'token_not_valid' })
    expect(api.count('/api/auth/refresh/')).toBe(1)
    expect(api.count('/api/auth/me/')).toBe(2)
    void client
  })

  it('makes one refresh for many requests failing together', async () => {
    const { api, client } = setup()
    api.state.accessOk = false
    api.state.refreshDelayMs = 30
    const users = await Promise.all([client.me(), client.me(), client.me(), client.refresh()])
    expect(users.slice(0, 3).map((u) => (u as { username: string }).username)).toEqual([
      'ada',
      'ada',
      'ada',
    ])
    expect(api.count('/api/auth/refresh/')).toBe(1)
    expect(api.count('/api/auth/me/')).toBe(6)
  })

  it('retries without refreshing again when a refresh finished after the request was sent', async () => {
    const { api, client } = setup()
    api.state.accessOk = false
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const slow = createAuthClient({
      fetch: async (input, init) => {
        const res = await api.fetch(input, init)
        if (String(input).endsWith('/slow/')) await gate
        return res
      },
      cookies: api.cookies,
      crossTab: false,
    })
    clients.push(slow)
    const late = slow.request<{ username: string }>('/api/auth/me/slow/')
    await slow.me() // refreshes while the slow request is in flight
    release()
    expect((await late).username).toBe('ada')
    expect(api.count('/api/auth/refresh/')).toBe(1)
    expect(api.count('/api/auth/me/slow/')).toBe(2)
    void client
  })

  it('reports a logout with reason expired when the refresh is refused, and rejects the request', async () => {
    const { api, client } = setup()
    const events: AuthEvent[] = []
    client.subscribe((e) => events.push(e))
    api.state.accessOk = false
    api.state.refreshOk = false
    await expect(client.me()).rejects.toMatchObject({ status: 401, code: 'not_authenticated' })
    expect(events).toEqual([{ type: 'logout', reason: 'expired' }])
    // Known to be logged out: a later 401 does not refresh again.
    await expect(client.me()).rejects.toBeInstanceOf(ApiError)
    expect(api.count('/api/auth/refresh/')).toBe(1)
  })

  it('never refreshes on the login request itself', async () => {
    const { api, client } = setup()
    await expect(client.login('ada', 'wrong')).rejects.toMatchObject({
      status: 401,
      code: 'no_active_account',
    })
    expect(api.count('/api/auth/refresh/')).toBe(0)
  })
})

describe('logout', () => {
  it('stays signed in when the logout request never reached the server', async () => {
    const api = createFakeApi()
    let online = true
    const client = createAuthClient({
      fetch: (input, init) =>
        online ? api.fetch(input, init) : Promise.reject(new TypeError('fetch failed')),
      cookies: api.cookies,
      crossTab: false,
    })
    clients.push(client)
    const events: string[] = []
    client.subscribe((e) => events.push(e.type))
    await client.login('ada', 'right')
    online = false
    await expect(client.logout()).rejects.toMatchObject({ code: 'network_error' })
    online = true
    await client.logout()
    expect(events).toEqual(['login', 'logout'])
  })
})

describe('errors', () => {
  it('maps wrong credentials to ApiError with the server detail and code', async () => {
    const { client } = setup()
    const error = (await client.login('ada', 'wrong').catch((e: unknown) => e)) as ApiError
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({
      status: 401,
      code: 'no_active_account',
      detail: 'No active account found with the given credentials',
      message: 'No active account found with the given credentials',
    })
  })

  it('carries Retry-After of a 429 in seconds', async () => {
    const { client } = setup()
    await expect(client.request('/api/throttled/')).rejects.toMatchObject({
      status: 429,
      code: 'throttled',
      retryAfter: 7,
    })
  })

  it('turns DRF field errors into fields and a readable detail', async () => {
    const { client } = setup()
    await expect(client.request('/api/fields/')).rejects.toMatchObject({
      status: 400,
      code: 'invalid',
      detail: 'Enter a valid email address.',
      fields: { email: ['Enter a valid email address.'] },
    })
  })

  it('turns a failed fetch into a network_error with status 0', async () => {
    const { client } = setup()
    await expect(client.request('/api/down/')).rejects.toMatchObject({
      status: 0,
      code: 'network_error',
      message: 'Could not reach the server. Check your connection and try again.',
    })
  })
})

describe('events and silent refresh', () => {
  it('refreshes silently before access_expires', async () => {
    const { api, client } = setup({ silentRefresh: 0.2 })
    api.state.expiresInMs = 400
    await client.login('ada', 'right')
    expect(api.count('/api/auth/refresh/')).toBe(0)
    await vi.waitFor(() => expect(api.count('/api/auth/refresh/')).toBe(1), { timeout: 3000 })
  })

  it('does not refresh silently when turned off', async () => {
    const { api, client } = setup({ silentRefresh: false })
    api.state.expiresInMs = 100
    await client.login('ada', 'right')
    await new Promise((r) => setTimeout(r, 150))
    expect(api.count('/api/auth/refresh/')).toBe(0)
  })

  it('tells other tabs about login, profile edits and logout over BroadcastChannel', async () => {
    const name = `test-${Math.random()}`
    const a = setup({ crossTab: name, locks: null })
    const b = setup({ crossTab: name, locks: null })
    const seen: string[] = []
    b.client.subscribe((e) => seen.push(e.type))
    await a.client.login('ada', 'right')
    await a.client.updateMe({ first_name: 'A' })
    await a.client.logout()
    await new Promise((r) => setTimeout(r, 50))
    expect(seen).toEqual(['login', 'user', 'logout'])
  })

  it('lets a tab that waited on another tab’s refresh lock retry without refreshing again', async () => {
    // Web Locks are not in Node 20; this stand-in has their exclusive and ifAvailable semantics. The real
    // navigator.locks is exercised in Chromium by the e2e suite.
    let held: Promise<unknown> | null = null
    const locks: LockManagerLike = {
      async request(_name, options, callback) {
        if (held && options.ifAvailable) return callback(null)
        while (held) await held
        const run = Promise.resolve().then(() => callback({}))
        held = run.finally(() => (held = null))
        return run
      },
    }
    const tab1 = setup({ crossTab: 'locks', locks })
    const tab2 = createAuthClient({
      fetch: tab1.api.fetch,
      cookies: tab1.api.cookies,
      crossTab: 'locks',
      locks,
    })
    clients.push(tab2)
    tab1.api.state.accessOk = false
    tab1.api.state.refreshDelayMs = 30
    const [u1, u2] = await Promise.all([tab1.client.me(), tab2.me()])
    expect([u1.username, u2.username]).toEqual(['ada', 'ada'])
    expect(tab1.api.count('/api/auth/refresh/')).toBe(1)
  })
})
