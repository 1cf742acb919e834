import { afterEach, describe, expect, it } from 'vitest'
import { createAuthClient, type AuthClient } from './client.js'
import { ApiError, MfaRequiredError } from './errors.js'
import { enrollmentApi, totpApi } from './mfa.js'
import type { AuthEvent } from './types.js'

const ADA = {
  id: 1,
  username: 'ada',
  email: '',
  first_name: '',
  last_name: '',
  is_staff: false,
  is_superuser: false,
  date_joined: '2026-01-01T00:00:00.000Z',
  last_login: null,
}

type Call = { method: string; path: string; body: string | null; csrf: string | null }

/** A stub of the server's two-step login and TOTP endpoints. */
function stub(routes: Record<string, (body: any) => [number, unknown]>) {
  const calls: Call[] = []
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = String(input)
    const method = init?.method ?? 'GET'
    const body = typeof init?.body === 'string' ? init.body : null
    calls.push({ method, path, body, csrf: new Headers(init?.headers).get('X-CSRFToken') })
    const route = routes[`${method} ${path}`]
    const [status, json] = route
      ? route(body ? JSON.parse(body) : null)
      : [404, { detail: 'Not found.', code: 'not_found' }]
    return new Response(JSON.stringify(json), {
      status,
      headers: { 'content-type': 'application/json' },
    })
  }) as typeof globalThis.fetch
  return { fetch, calls }
}

const clients: AuthClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.close()
})
function client(fetch: typeof globalThis.fetch) {
  const c = createAuthClient({
    fetch,
    cookies: () => 'csrftoken=tok',
    crossTab: false,
    silentRefresh: false,
  })
  clients.push(c)
  return c
}

describe('two-step login', () => {
  it('login rejects with MfaRequiredError and emits nothing; loginMfa finishes and emits the login', async () => {
    const server = stub({
      'POST /api/auth/login/': () => [200, { mfa_required: true }],
      'POST /api/auth/login/mfa/': (b) =>
        b.code === '123456'
          ? [200, { user: ADA, access_expires: '2030-01-01T00:00:00.000Z' }]
          : [400, { code: ['The code is invalid or was already used.'] }],
    })
    const api = client(server.fetch)
    const events: AuthEvent[] = []
    api.subscribe((e) => events.push(e))
    const error = await api.login('ada', 'pw').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MfaRequiredError)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({
      code: 'mfa_required',
      detail: 'Enter the code from your authenticator app, or a backup code.',
    })
    expect(events).toEqual([])

    const wrong = await api.loginMfa('000000').catch((e: unknown) => e)
    expect(wrong).toMatchObject({
      status: 400,
      code: 'invalid',
      fields: { code: ['The code is invalid or was already used.'] },
    })
    expect(await api.loginMfa('123456')).toEqual(ADA)
    expect(events).toEqual([
      { type: 'login', user: ADA, accessExpires: '2030-01-01T00:00:00.000Z' },
    ])
    expect(server.calls.map((c) => `${c.method} ${c.path} ${c.body}`)).toEqual([
      'POST /api/auth/login/ {"username":"ada","password":"pw"}',
      'POST /api/auth/login/mfa/ {"code":"000000"}',
      'POST /api/auth/login/mfa/ {"code":"123456"}',
    ])
  })

  it('a login without a second factor resolves to the user as before', async () => {
    const api = client(stub({ 'POST /api/auth/login/': () => [200, { user: ADA }] }).fetch)
    expect(await api.login('ada', 'pw')).toEqual(ADA)
  })
})

describe('totpApi', () => {
  it('calls the contract paths with CSRF and unwraps the backup codes', async () => {
    const codes = Array.from({ length: 10 }, (_, i) => `aaaaa-bbbb${i}`)
    const server = stub({
      'GET /api/auth/mfa/totp/': () => [
        200,
        { enabled: false, pending: false, backup_codes_remaining: 0 },
      ],
      'POST /api/auth/mfa/totp/setup/': () => [
        200,
        { secret: 'JBSWY3DPEHPK3PXP', otpauth_url: 'otpauth://totp/x:ada?secret=JBSWY3DPEHPK3PXP' },
      ],
      'POST /api/auth/mfa/totp/confirm/': () => [200, { backup_codes: codes }],
      'POST /api/auth/mfa/totp/backup-codes/': () => [200, { backup_codes: codes.slice(0, 10) }],
      'POST /api/auth/mfa/totp/disable/': (b) =>
        b.password === 'pw'
          ? [200, {}]
          : [400, { password: ['Your password was entered incorrectly. Please enter it again.'] }],
    })
    const totp = totpApi(client(server.fetch))
    expect(await totp.status()).toEqual({
      enabled: false,
      pending: false,
      backup_codes_remaining: 0,
    })
    expect((await totp.setup()).secret).toBe('JBSWY3DPEHPK3PXP')
    await totp.setup('pw')
    expect(await totp.confirm('123456')).toEqual(codes)
    expect(await totp.regenerateBackupCodes('pw')).toHaveLength(10)
    await expect(totp.disable('nope')).rejects.toMatchObject({
      status: 400,
      fields: { password: [expect.any(String)] },
    })
    await expect(totp.disable('pw')).resolves.toBeUndefined()
    const posts = server.calls.filter((c) => c.method === 'POST')
    expect(posts.map((c) => c.csrf)).toEqual(['tok', 'tok', 'tok', 'tok', 'tok', 'tok'])
    expect(posts.map((c) => c.body)).toEqual([
      '{}',
      '{"password":"pw"}',
      '{"code":"123456"}',
      '{"password":"pw"}',
      '{"password":"nope"}',
      '{"password":"pw"}',
    ])
  })
})

describe('the enrolment a login asks for (mfa.required)', () => {
  const ENROLL =
    'Two-factor authentication is required for this account: set it up to finish signing in.'

  it('login rejects with mfa_enrollment_required; setup and confirm run without a refresh and sign in only when told', async () => {
    const server = stub({
      'POST /api/auth/login/': () => [403, { detail: ENROLL, code: 'mfa_enrollment_required' }],
      'POST /api/auth/login/mfa/setup/': () => [
        200,
        { secret: 'S'.repeat(32), otpauth_url: 'otpauth://totp/x' },
      ],
      'POST /api/auth/login/mfa/confirm/': (b) =>
        b.code === '123456'
          ? [
              200,
              {
                user: ADA,
                access_expires: '2026-01-01T00:05:00.000Z',
                backup_codes: ['aaaaa-bbbbb'],
              },
            ]
          : [400, { code: ['The code is invalid or was already used.'] }],
    })
    const api = client(server.fetch)
    const events: AuthEvent[] = []
    api.subscribe((e) => events.push(e))
    const refused = await api.login('ada', 'pw').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ApiError)
    expect(refused).toMatchObject({ status: 403, code: 'mfa_enrollment_required', detail: ENROLL })
    const enrol = enrollmentApi(api)
    expect(await enrol.setup()).toEqual({ secret: 'S'.repeat(32), otpauth_url: 'otpauth://totp/x' })
    await expect(enrol.confirm('000000')).rejects.toMatchObject({
      status: 400,
      fields: { code: ['The code is invalid or was already used.'] },
    })
    const done = await enrol.confirm('123456')
    expect(done).toEqual({
      user: ADA,
      accessExpires: '2026-01-01T00:05:00.000Z',
      backupCodes: ['aaaaa-bbbbb'],
    })
    expect(events).toEqual([])
    api.signedIn(done.user, done.accessExpires)
    expect(events).toEqual([
      { type: 'login', user: ADA, accessExpires: '2026-01-01T00:05:00.000Z' },
    ])
    expect(server.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /api/auth/login/',
      'POST /api/auth/login/mfa/setup/',
      'POST /api/auth/login/mfa/confirm/',
      'POST /api/auth/login/mfa/confirm/',
    ])
  })

  it('ends the session when a refresh answers 403 mfa_enrollment_required', async () => {
    const server = stub({
      'GET /api/auth/me/': () => [401, { detail: 'Token is expired', code: 'token_not_valid' }],
      'POST /api/auth/refresh/': () => [
        403,
        { detail: 'sign in again', code: 'mfa_enrollment_required' },
      ],
    })
    const api = client(server.fetch)
    const events: AuthEvent[] = []
    api.subscribe((e) => events.push(e))
    await expect(api.me()).rejects.toMatchObject({ status: 401 })
    expect(events).toEqual([{ type: 'logout', reason: 'expired' }])
  })
})
