import { afterEach, describe, expect, it } from 'vitest'
import { createAccountsApi } from './accounts.js'
import { createAuthClient, type AuthClient } from './client.js'
import { ApiError } from './errors.js'
import type { AuthEvent } from './types.js'

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.close()
})

function setup(answer: (path: string, body: unknown) => { status: number; json: unknown }) {
  const calls: { path: string; body: unknown; csrf: string | null }[] = []
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = new URL(String(input), 'http://app.test').pathname
    const body = init?.body ? JSON.parse(String(init.body)) : null
    calls.push({ path, body, csrf: new Headers(init?.headers).get('X-CSRFToken') })
    const { status, json } = answer(path, body)
    return new Response(JSON.stringify(json), {
      status,
      headers: { 'content-type': 'application/json' },
    })
  }) as typeof globalThis.fetch
  const client = createAuthClient({
    fetch,
    cookies: () => 'csrftoken=tok',
    crossTab: false,
    silentRefresh: false,
  })
  clients.push(client)
  return { calls, client, accounts: createAccountsApi(client) }
}

const ada = {
  id: 1,
  username: 'ada',
  email: 'ada@example.com',
  first_name: '',
  last_name: '',
  is_staff: false,
  is_superuser: false,
  date_joined: '2026-01-01T00:00:00.000Z',
  last_login: null,
}

describe('account calls', () => {
  it('posts to dj-rest-auth’s paths with the CSRF header', async () => {
    const { calls, accounts } = setup(() => ({ status: 200, json: { detail: 'ok' } }))
    await accounts.verifyEmail('k1')
    await accounts.resendVerification('ada@example.com')
    await accounts.requestPasswordReset('ada@example.com')
    await accounts.confirmPasswordReset('MQ', 'tok', 'New-Password-1')
    expect(calls).toEqual([
      { path: '/api/auth/verify-email/', body: { key: 'k1' }, csrf: 'tok' },
      { path: '/api/auth/verify-email/resend/', body: { email: 'ada@example.com' }, csrf: 'tok' },
      { path: '/api/auth/password/reset/', body: { email: 'ada@example.com' }, csrf: 'tok' },
      {
        path: '/api/auth/password/reset/confirm/',
        body: { uid: 'MQ', token: 'tok', new_password: 'New-Password-1' },
        csrf: 'tok',
      },
    ])
  })

  it('reads the server features with a plain GET, and counts sign-up open only on a literal true', async () => {
    let json: unknown = { registration: true }
    const { calls, accounts } = setup(() => ({ status: 200, json }))
    expect(await accounts.features()).toEqual({ registration: true })
    expect(calls).toEqual([{ path: '/api/auth/features/', body: null, csrf: null }])
    for (json of [{ registration: false }, { registration: 'true' }, {}, null, []]) {
      expect(await accounts.features()).toEqual({ registration: false })
    }
  })

  it('a sign-up that signs in tells the app, one that needs verification does not', async () => {
    let verify = true
    const { client, accounts } = setup(() =>
      verify
        ? { status: 201, json: { detail: 'Verification e-mail sent.' } }
        : { status: 201, json: { user: ada, access_expires: '2026-01-01T00:05:00.000Z' } },
    )
    const events: AuthEvent[] = []
    client.subscribe((e) => events.push(e))
    expect(
      await accounts.register({ username: 'ada', email: 'ada@example.com', password: 'p' }),
    ).toEqual({ signedIn: false, detail: 'Verification e-mail sent.' })
    expect(events).toEqual([])
    verify = false
    expect(
      await accounts.register({ username: 'ada', email: 'ada@example.com', password: 'p' }),
    ).toEqual({ signedIn: true, user: ada })
    expect(events).toEqual([
      { type: 'login', user: ada, accessExpires: '2026-01-01T00:05:00.000Z' },
    ])
  })

  it('rejects with field errors and never retries a 401', async () => {
    const { calls, accounts } = setup((path) =>
      path.endsWith('/confirm/')
        ? { status: 400, json: { token: ['Invalid value'] } }
        : { status: 401, json: { detail: 'E-mail is not verified.', code: 'email_not_verified' } },
    )
    const error = await accounts.confirmPasswordReset('MQ', 'bad', 'x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).fields).toEqual({ token: ['Invalid value'] })
    await expect(accounts.verifyEmail('k')).rejects.toMatchObject({
      status: 401,
      code: 'email_not_verified',
    })
    expect(calls.filter((c) => c.path.includes('refresh'))).toEqual([])
  })
})
