/**
 * `mfa.required` (ASVS 5.0 §6.3.3) over HTTP, cookie and Bearer flows: a covered user without TOTP gets no session,
 * only an enrolment token good for the enrolment endpoints; the enrolment's first code finishes the login.
 */
import { defineSettings, ImproperlyConfigured, type AuthSettingsInput } from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/cli/config.js'
import { INVALID_CODE, MFA_CANNOT_BE_TURNED_OFF } from '../../src/mfa/flows.js'
import { ENROLL_AFTER_SIGN_IN, ENROLL_TO_SIGN_IN } from '../../src/mfa/required.js'
import { generateTotpCode } from '../../src/mfa/totp.js'
import { Client, decodePayload, PASSWORD, send, TEST_KEY, startTestServer, type Res, type TestServer } from '../helpers.js'

// The servers' clock runs ahead of real time: each code used moves it one TOTP step on (replay protection).
let offset = 0
const now = () => new Date(Date.now() + offset)
const nextStep = () => {
  offset += 30_000
}
const code = (secret: string) => generateTotpCode(secret, now())
const MFA_KEY = 'required-test-mfa-key-'.padEnd(40, 'x')

let staffOnly: TestServer
let everyone: TestServer
let nextIp = 1

async function start(input: AuthSettingsInput): Promise<TestServer> {
  return startTestServer({ ...input, mfa: { keys: [MFA_KEY], ...(input.mfa ?? {}) } }, { now, trustProxy: true })
}

beforeAll(async () => {
  staffOnly = await start({ mfa: { required: 'staff' } })
  everyone = await start({ mfa: { required: 'all' }, registration: true, emailVerification: 'none', frontendUrl: 'https://app.example.com' })
})
afterAll(async () => {
  await staffOnly?.close()
  await everyone?.close()
})

/** A browser with its own forwarded IP, so no test's IP counters reach another. */
function browser(server: TestServer): Client {
  const ip = `198.51.100.${nextIp++}`
  const c = new Client(server.url)
  const request = c.request.bind(c)
  c.request = (method, path, init = {}) => request(method, path, { ...init, headers: { 'x-forwarded-for': ip, ...(init.headers ?? {}) } })
  return c
}

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${nextIp++}` }, body: JSON.stringify(body) })
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

async function staffUser(server: TestServer, username: string, extra: { isSuperuser?: boolean } = {}) {
  const user = await server.createUser(username)
  return (await server.users.update(user.id, { isStaff: !extra.isSuperuser, isSuperuser: extra.isSuperuser ?? false }))!
}

/** The login's 403 for a user who must enrol: the code, no session, and the enrolment token in the mfa_token cookie. */
function expectEnrollmentCookie(res: Res): string {
  expect(res.status).toBe(403)
  expect(res.json).toEqual({ detail: ENROLL_TO_SIGN_IN, code: 'mfa_enrollment_required' })
  const mfa = res.cookie('mfa_token')!
  expect(mfa.attributes).toMatchObject({ httponly: true, path: '/api/auth/login/mfa/', 'max-age': '300', samesite: 'Lax' })
  expect(decodePayload(mfa.value)).toMatchObject({ token_type: 'mfa_enrollment' })
  for (const name of ['access_token', 'refresh_token']) {
    const c = res.cookie(name)
    expect(c === undefined || (c.value === '' && c.attributes['max-age'] === '0')).toBe(true)
  }
  return mfa.value
}

describe('mfa.required: staff, cookie flow', () => {
  it('leaves users it does not cover alone', async () => {
    await staffOnly.createUser('pat')
    const res = await browser(staffOnly).post('/api/auth/login/', { username: 'pat', password: PASSWORD })
    expect(res.status).toBe(200)
    expect(res.cookie('access_token')?.value).toBeTruthy()
  })

  it('gives a staff member without TOTP no session: the enrolment token opens nothing but the enrolment', async () => {
    await staffUser(staffOnly, 'boss')
    const c = browser(staffOnly)
    const token = expectEnrollmentCookie(await c.post('/api/auth/login/', { username: 'boss', password: PASSWORD }))
    // The browser sends the cookie only to /api/auth/login/mfa/; even sent anywhere else, in any form, it is no session.
    for (const headers of [{ cookie: `mfa_token=${token}` }, { cookie: `access_token=${token}` }, bearer(token).headers]) {
      const me = await send(staffOnly.url, 'GET', '/api/auth/me/', { headers })
      expect(me.status).toBe(401)
    }
    const asRefresh = await send(staffOnly.url, 'POST', '/api/auth/refresh/', { headers: { cookie: `refresh_token=${token}` } })
    expect([asRefresh.status, asRefresh.json.code]).toEqual([401, 'token_not_valid'])
    // Nor is it the code step's token.
    const codeStep = await c.post('/api/auth/login/mfa/', { code: '123456' })
    expect(codeStep.status).toBe(401)
    expect(codeStep.json).toEqual({ detail: 'Token has wrong type', code: 'token_not_valid' })
  })

  it("ends the browser's earlier session when a login there ends in the enrolment (its cookies are cleared)", async () => {
    await staffOnly.createUser('clerk')
    await staffUser(staffOnly, 'boss2')
    const c = browser(staffOnly)
    expect((await c.post('/api/auth/login/', { username: 'clerk', password: PASSWORD })).status).toBe(200)
    const earlier = c.jar.get('refresh_token')!
    expect(earlier).toBeTruthy()
    expectEnrollmentCookie(await c.post('/api/auth/login/', { username: 'boss2', password: PASSWORD }))
    // The cleared refresh cookie's token no longer works anywhere (it would otherwise live until it expired).
    const refresh = await send(staffOnly.url, 'POST', '/api/auth/refresh/', { headers: { cookie: `refresh_token=${earlier}` } })
    expect([refresh.status, refresh.json.code]).toEqual([401, 'token_not_valid'])
  })

  it('setup → a wrong code (token kept) → confirm finishes the login with backup codes; the token is spent', async () => {
    await staffUser(staffOnly, 'root', { isSuperuser: true })
    const c = browser(staffOnly)
    expectEnrollmentCookie(await c.post('/api/auth/login/', { username: 'root', password: PASSWORD }))
    const first = await c.post('/api/auth/login/mfa/setup/')
    expect(first.status).toBe(200)
    expect(first.json.otpauth_url).toMatch(/^otpauth:\/\/totp\/cookiejwt:root\?secret=[A-Z2-7]{32}&issuer=cookiejwt$/)
    // A second setup (a lost QR code) replaces the first: only its secret's codes count.
    const setup = await c.post('/api/auth/login/mfa/setup/', null)
    expect(setup.json.secret).not.toBe(first.json.secret)
    const wrong = await c.post('/api/auth/login/mfa/confirm/', { code: await code(first.json.secret) })
    expect(wrong.status).toBe(400)
    expect(wrong.json).toEqual({ code: [INVALID_CODE] })
    expect(c.jar.has('mfa_token')).toBe(true)
    const done = await c.post('/api/auth/login/mfa/confirm/', { code: await code(setup.json.secret) })
    nextStep()
    expect(done.status).toBe(200)
    expect(done.json.user).toMatchObject({ username: 'root', is_superuser: true })
    expect(done.json.backup_codes).toHaveLength(10)
    expect(done.json.access_expires).toEqual(expect.any(String))
    expect(done.cookie('access_token')?.value).toBeTruthy()
    expect(done.cookie('csrftoken')?.value).toBeTruthy()
    expect(done.cookie('mfa_token')).toMatchObject({ value: '', attributes: { 'max-age': '0' } })
    expect((await c.get('/api/auth/me/')).json.username).toBe('root')
    expect((await c.get('/api/auth/mfa/totp/')).json).toEqual({ enabled: true, pending: false, backup_codes_remaining: 10 })
  })

  it('a spent enrolment token is refused by setup and confirm; the next login is the ordinary two-step one', async () => {
    await staffUser(staffOnly, 'chief')
    const c = browser(staffOnly)
    const token = expectEnrollmentCookie(await c.post('/api/auth/login/', { username: 'chief', password: PASSWORD }))
    const { secret } = (await c.post('/api/auth/login/mfa/setup/')).json
    expect((await c.post('/api/auth/login/mfa/confirm/', { code: await code(secret) })).status).toBe(200)
    nextStep()
    const replay = { cookie: `mfa_token=${token}`, 'content-type': 'application/json' }
    for (const path of ['/api/auth/login/mfa/setup/', '/api/auth/login/mfa/confirm/']) {
      const res = await send(staffOnly.url, 'POST', path, { headers: replay, body: JSON.stringify({ code: await code(secret) }) })
      expect([path, res.status, res.json]).toEqual([path, 401, { detail: 'Token was already used', code: 'token_not_valid' }])
      expect(res.cookie('mfa_token')?.attributes['max-age']).toBe('0')
    }
    const b = browser(staffOnly)
    expect((await b.post('/api/auth/login/', { username: 'chief', password: PASSWORD })).json).toEqual({ mfa_required: true })
    const second = await b.post('/api/auth/login/mfa/', { code: await code(secret) })
    nextStep()
    expect(second.status).toBe(200)
    // The factor the policy requires cannot be turned off from the session.
    const off = await b.post('/api/auth/mfa/totp/disable/', { password: PASSWORD })
    expect(off.status).toBe(403)
    expect(off.json).toEqual({ detail: MFA_CANNOT_BE_TURNED_OFF, code: 'permission_denied' })
    expect((await b.get('/api/auth/mfa/totp/')).json.enabled).toBe(true)
  })

  it('refuses the enrolment endpoints without a token, with an expired one, and for a user deactivated meanwhile', async () => {
    const none = await send(staffOnly.url, 'POST', '/api/auth/login/mfa/setup/')
    expect([none.status, none.json]).toEqual([401, { detail: 'No MFA token was provided', code: 'token_not_valid' }])
    const gone = await staffUser(staffOnly, 'gone')
    const c = browser(staffOnly)
    const token = expectEnrollmentCookie(await c.post('/api/auth/login/', { username: 'gone', password: PASSWORD }))
    await staffOnly.users.update(gone.id, { isActive: false })
    const inactive = await send(staffOnly.url, 'POST', '/api/auth/login/mfa/setup/', { headers: { cookie: `mfa_token=${token}` } })
    expect([inactive.status, inactive.json]).toEqual([401, { detail: 'Token is invalid or expired', code: 'token_not_valid' }])
    await staffUser(staffOnly, 'late')
    const late = expectEnrollmentCookie(await browser(staffOnly).post('/api/auth/login/', { username: 'late', password: PASSWORD }))
    offset += 301_000
    const expired = await send(staffOnly.url, 'POST', '/api/auth/login/mfa/setup/', { headers: { cookie: `mfa_token=${late}` } })
    expect([expired.status, expired.json]).toEqual([401, { detail: 'Token is expired', code: 'token_not_valid' }])
  })

  it('ends a session from before the user was covered at its next refresh (cookie and Bearer), not before', async () => {
    const promoted = await staffOnly.createUser('promoted')
    const c = browser(staffOnly)
    expect((await c.post('/api/auth/login/', { username: 'promoted', password: PASSWORD })).status).toBe(200)
    const pair = await send(staffOnly.url, 'POST', '/api/token/', json({ username: 'promoted', password: PASSWORD }))
    expect(pair.status).toBe(200)
    await staffOnly.users.update(promoted.id, { isStaff: true })
    // The access token still works until it expires (at most accessTokenLifetime)…
    expect((await c.get('/api/auth/me/')).status).toBe(200)
    // …but nothing more is minted.
    const refresh = await c.post('/api/auth/refresh/')
    expect(refresh.status).toBe(403)
    expect(refresh.json).toEqual({ detail: ENROLL_AFTER_SIGN_IN, code: 'mfa_enrollment_required' })
    expect(refresh.cookie('refresh_token')).toMatchObject({ value: '', attributes: { 'max-age': '0' } })
    expect(refresh.cookie('mfa_token')).toBeUndefined()
    const bearerRefresh = await send(staffOnly.url, 'POST', '/api/token/refresh/', json({ refresh: pair.json.refresh }))
    expect([bearerRefresh.status, bearerRefresh.json]).toEqual([403, { detail: ENROLL_AFTER_SIGN_IN, code: 'mfa_enrollment_required' }])
    // Signing in again leads to the enrolment.
    expectEnrollmentCookie(await browser(staffOnly).post('/api/auth/login/', { username: 'promoted', password: PASSWORD }))
  })
})

describe('mfa.required: Bearer flow', () => {
  it('answers /api/token/ with 403 and the enrolment token in the body; setup and confirm return the pair', async () => {
    await staffUser(staffOnly, 'bot')
    const login = await send(staffOnly.url, 'POST', '/api/token/', json({ username: 'bot', password: PASSWORD }))
    expect(login.status).toBe(403)
    expect(Object.keys(login.json).sort()).toEqual(['code', 'detail', 'mfa_token'])
    expect(login.json).toMatchObject({ detail: ENROLL_TO_SIGN_IN, code: 'mfa_enrollment_required' })
    expect(login.cookies).toEqual([])
    const token = login.json.mfa_token as string
    expect(decodePayload(token)).toMatchObject({ token_type: 'mfa_enrollment' })
    // Not a code-step token, not an access token.
    const codeStep = await send(staffOnly.url, 'POST', '/api/token/mfa/', json({ mfa_token: token, code: '123456' }))
    expect([codeStep.status, codeStep.json]).toEqual([401, { detail: 'Token has wrong type', code: 'token_not_valid' }])
    expect((await send(staffOnly.url, 'GET', '/api/auth/me/', bearer(token))).status).toBe(401)
    const setup = await send(staffOnly.url, 'POST', '/api/token/mfa/setup/', json({ mfa_token: token }))
    expect(setup.status).toBe(200)
    const done = await send(staffOnly.url, 'POST', '/api/token/mfa/confirm/', json({ mfa_token: token, code: await code(setup.json.secret) }))
    nextStep()
    expect(done.status).toBe(200)
    expect(Object.keys(done.json).sort()).toEqual(['access', 'backup_codes', 'refresh'])
    expect(done.json.backup_codes).toHaveLength(10)
    expect(done.cookies).toEqual([])
    expect((await send(staffOnly.url, 'GET', '/api/auth/me/', bearer(done.json.access))).json.username).toBe('bot')
    const refreshed = await send(staffOnly.url, 'POST', '/api/token/refresh/', json({ refresh: done.json.refresh }))
    expect(refreshed.status).toBe(200)
    // An ordinary mfa token (the enrolled user's next login) opens no enrolment.
    const next = await send(staffOnly.url, 'POST', '/api/token/', json({ username: 'bot', password: PASSWORD }))
    expect(next.json.mfa_required).toBe(true)
    const wrongType = await send(staffOnly.url, 'POST', '/api/token/mfa/setup/', json({ mfa_token: next.json.mfa_token }))
    expect([wrongType.status, wrongType.json]).toEqual([401, { detail: 'Token has wrong type', code: 'token_not_valid' }])
  })
})

describe("mfa.required: 'all'", () => {
  it('covers every user, and a sign-up without verification ends in the enrolment instead of a session', async () => {
    await everyone.createUser('ann')
    expectEnrollmentCookie(await browser(everyone).post('/api/auth/login/', { username: 'ann', password: PASSWORD }))
    const c = browser(everyone)
    const signup = await c.post('/api/auth/register/', { username: 'newbie', email: 'newbie@example.com', password: PASSWORD })
    expectEnrollmentCookie(signup)
    expect(await everyone.users.findByUsername('newbie')).not.toBeNull()
    const { secret } = (await c.post('/api/auth/login/mfa/setup/')).json
    const done = await c.post('/api/auth/login/mfa/confirm/', { code: await code(secret) })
    nextStep()
    expect(done.status).toBe(200)
    expect(done.json.user.username).toBe('newbie')
  })
})

describe('the mfa.required setting', () => {
  it("is 'none' by default, and takes 'staff' or 'all' from COOKIEJWT_MFA_REQUIRED", () => {
    expect(defineSettings({ signingKey: TEST_KEY }).mfa.required).toBe('none')
    for (const value of ['none', 'staff', 'all'] as const) {
      expect(loadConfig({ COOKIEJWT_SIGNING_KEY: TEST_KEY, COOKIEJWT_MFA_REQUIRED: value }).settings.mfa.required).toBe(value)
    }
  })

  it('refuses anything else at start-up, naming the key', () => {
    for (const bad of ['staf', 'ALL', 'true', '']) {
      expect(() => defineSettings({ signingKey: TEST_KEY, mfa: { required: bad as 'all' } })).toThrow(
        new ImproperlyConfigured(`"mfa.required" must be one of none, staff, all (got ${JSON.stringify(bad)})`),
      )
    }
    expect(() => loadConfig({ COOKIEJWT_SIGNING_KEY: TEST_KEY, COOKIEJWT_MFA_REQUIRED: 'admins' })).toThrow(
      '"mfa.required" must be one of none, staff, all (got "admins")',
    )
  })
})
