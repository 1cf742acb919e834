import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateTotpCode } from '../../src/mfa/totp.js'
import { Client, decodePayload, PASSWORD, send, startTestServer, type Res, type TestServer } from '../helpers.js'

// The server's clock runs ahead of real time by `offset`: each TOTP login moves it one step on, so codes of a new
// time step are due without waiting (replay protection refuses every step at or before the last one used).
let offset = 0
const now = () => new Date(Date.now() + offset)
const nextStep = () => {
  offset += 30_000
}

let server: TestServer
let nextIp = 1

beforeAll(async () => {
  server = await startTestServer({ mfa: { keys: ['http-test-mfa-key-'.padEnd(40, 'x')] } }, { now, trustProxy: true })
})
afterAll(() => server?.close())

/** A client with its own forwarded IP, so the IP counters of one test never reach another. */
function client(): Client {
  const ip = `198.51.100.${nextIp++}`
  const c = new Client(server.url)
  const request = c.request.bind(c)
  c.request = (method, path, init = {}) => request(method, path, { ...init, headers: { 'x-forwarded-for': ip, ...(init.headers ?? {}) } })
  return c
}

async function signedIn(username: string): Promise<Client> {
  const c = client()
  const res = await c.post('/api/auth/login/', { username, password: PASSWORD })
  expect(res.status).toBe(200)
  expect(res.json.user.username).toBe(username)
  return c
}

/** Enrols TOTP for a signed-in client and returns the secret and backup codes. */
async function enrol(c: Client): Promise<{ secret: string; backupCodes: string[] }> {
  const setup = await c.post('/api/auth/mfa/totp/setup/')
  expect(setup.status).toBe(200)
  const confirm = await c.post('/api/auth/mfa/totp/confirm/', { code: await generateTotpCode(setup.json.secret, now()) })
  expect(confirm.status).toBe(200)
  nextStep()
  return { secret: setup.json.secret, backupCodes: confirm.json.backup_codes }
}

const code = (secret: string) => generateTotpCode(secret, now())

function expectMfaRequired(res: Res) {
  expect(res.status).toBe(200)
  expect(res.json).toEqual({ mfa_required: true })
  const mfa = res.cookie('mfa_token')!
  expect(mfa.value.length).toBeGreaterThan(20)
  expect(mfa.attributes).toMatchObject({ httponly: true, path: '/api/auth/login/mfa/', 'max-age': '300', samesite: 'Lax' })
  expect(decodePayload(mfa.value)).toMatchObject({ token_type: 'mfa' })
  // No access or refresh token: only clearing headers for them.
  for (const name of ['access_token', 'refresh_token']) {
    const c = res.cookie(name)
    expect(c === undefined || (c.value === '' && c.attributes['max-age'] === '0')).toBe(true)
  }
  return mfa.value
}

describe('TOTP enrolment over HTTP', () => {
  let n = 0
  const user = async () => {
    const name = `enrol${++n}`
    await server.createUser(name)
    return { name, c: await signedIn(name) }
  }

  it('setup → confirm → status; setup again is refused; the secret never comes back', async () => {
    const { c } = await user()
    expect((await c.get('/api/auth/mfa/totp/')).json).toEqual({ enabled: false, pending: false, backup_codes_remaining: 0 })
    const setup = await c.post('/api/auth/mfa/totp/setup/')
    expect(setup.status).toBe(200)
    expect(Object.keys(setup.json).sort()).toEqual(['otpauth_url', 'secret'])
    expect(setup.json.otpauth_url).toMatch(/^otpauth:\/\/totp\/cookiejwt:enrol\d+\?secret=[A-Z2-7]{32}&issuer=cookiejwt$/)
    expect(setup.headers.get('cache-control')).toBe('no-store')
    expect((await c.get('/api/auth/mfa/totp/')).json).toEqual({ enabled: false, pending: true, backup_codes_remaining: 0 })
    const confirm = await c.post('/api/auth/mfa/totp/confirm/', { code: await code(setup.json.secret) })
    expect(confirm.status).toBe(200)
    expect(confirm.json.backup_codes).toHaveLength(10)
    for (const b of confirm.json.backup_codes) expect(b).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/)
    const status = await c.get('/api/auth/mfa/totp/')
    expect(status.json).toEqual({ enabled: true, pending: false, backup_codes_remaining: 10 })
    expect(status.text).not.toContain(setup.json.secret)
    const again = await c.post('/api/auth/mfa/totp/setup/')
    expect(again.status).toBe(400)
    expect(again.json).toEqual({ detail: 'Two-factor authentication is already on; turn it off first.', code: 'mfa_already_enabled' })
  })

  it('needs authentication and, for cookie auth, the CSRF token', async () => {
    const anonymous = await client().post('/api/auth/mfa/totp/setup/')
    expect(anonymous.status).toBe(401)
    expect(anonymous.json.code).toBe('not_authenticated')
    const { c } = await user()
    const noCsrf = await c.post('/api/auth/mfa/totp/setup/', {}, { csrf: false })
    expect(noCsrf.status).toBe(403)
    expect(noCsrf.json.code).toBe('permission_denied')
  })

  it('setup needs a recent login or the password again (a stolen session cannot enrol its own authenticator)', async () => {
    const { c } = await user()
    offset += 601_000
    const stale = await c.post('/api/auth/mfa/totp/setup/')
    expect(stale.status).toBe(403)
    expect(stale.json).toEqual({ detail: 'Enter your password again to do this.', code: 'reauthentication_required' })
    expect((await c.get('/api/auth/mfa/totp/')).json.pending).toBe(false)
    const wrong = await c.post('/api/auth/mfa/totp/setup/', { password: 'not it' })
    expect(wrong.status).toBe(400)
    expect(wrong.json).toEqual({ password: ['Your password was entered incorrectly. Please enter it again.'] })
    const ok = await c.post('/api/auth/mfa/totp/setup/', { password: PASSWORD })
    expect(ok.status).toBe(200)
    expect(ok.json.secret).toMatch(/^[A-Z2-7]{32}$/)
  })

  it('refuses a wrong confirmation code, confirm without setup, and malformed bodies with DRF field errors', async () => {
    const { c } = await user()
    const early = await c.post('/api/auth/mfa/totp/confirm/', { code: '123456' })
    expect(early.status).toBe(400)
    expect(early.json).toEqual({ detail: 'No TOTP setup is pending; start one first.', code: 'mfa_not_enabled' })
    const setup = await c.post('/api/auth/mfa/totp/setup/')
    const right = await code(setup.json.secret)
    const wrong = await c.post('/api/auth/mfa/totp/confirm/', { code: right === '000000' ? '111111' : '000000' })
    expect(wrong.status).toBe(400)
    expect(wrong.json).toEqual({ code: ['The code is invalid or was already used.'] })
    expect((await c.post('/api/auth/mfa/totp/confirm/', {})).json).toEqual({ code: ['This field is required.'] })
    expect((await c.post('/api/auth/mfa/totp/confirm/', { code: 123456 })).json).toEqual({ code: ['Not a valid string.'] })
    expect((await c.post('/api/auth/mfa/totp/confirm/', { code: '1'.repeat(65) })).status).toBe(400)
    expect((await c.post('/api/auth/mfa/totp/confirm/', { code: right })).status).toBe(200)
  })

  it('turns off only with the password; then a login needs no code', async () => {
    const { name, c } = await user()
    await enrol(c)
    const wrong = await c.post('/api/auth/mfa/totp/disable/', { password: 'not it' })
    expect(wrong.status).toBe(400)
    expect(wrong.json).toEqual({ password: ['Your password was entered incorrectly. Please enter it again.'] })
    expect((await c.post('/api/auth/mfa/totp/disable/', {})).json).toEqual({ password: ['This field is required.'] })
    const off = await c.post('/api/auth/mfa/totp/disable/', { password: PASSWORD })
    expect(off.status).toBe(200)
    expect(off.json).toEqual({})
    expect((await c.get('/api/auth/mfa/totp/')).json).toEqual({ enabled: false, pending: false, backup_codes_remaining: 0 })
    const again = await c.post('/api/auth/mfa/totp/disable/', { password: PASSWORD })
    expect(again.json).toEqual({ detail: 'Two-factor authentication is not on.', code: 'mfa_not_enabled' })
    const login = await client().post('/api/auth/login/', { username: name, password: PASSWORD })
    expect(login.status).toBe(200)
    expect(login.json.user.username).toBe(name)
  })

  it('regenerates backup codes with the password', async () => {
    const { name, c } = await user()
    const { backupCodes: old } = await enrol(c)
    const res = await c.post('/api/auth/mfa/totp/backup-codes/', { password: PASSWORD })
    expect(res.status).toBe(200)
    expect(res.json.backup_codes).toHaveLength(10)
    const b = client()
    expectMfaRequired(await b.post('/api/auth/login/', { username: name, password: PASSWORD }))
    expect((await b.post('/api/auth/login/mfa/', { code: old[0] })).status).toBe(400)
    expect((await b.post('/api/auth/login/mfa/', { code: res.json.backup_codes[0] })).status).toBe(200)
  })
})

describe('two-step login over HTTP (cookie flow)', () => {
  let secret: string
  let backupCodes: string[]

  beforeAll(async () => {
    await server.createUser('ada')
    await server.createUser('bob')
    ;({ secret, backupCodes } = await enrol(await signedIn('ada')))
    await enrol(await signedIn('bob'))
  })

  it('a login that needs the code sets only the mfa cookie; the code step sets the session cookies', async () => {
    const c = client()
    expectMfaRequired(await c.post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
    expect((await c.get('/api/auth/me/')).status).toBe(401)
    const wrong = await c.post('/api/auth/login/mfa/', { code: '000000' === (await code(secret)) ? '111111' : '000000' })
    expect(wrong.status).toBe(400)
    expect(wrong.json).toEqual({ code: ['The code is invalid or was already used.'] })
    expect(wrong.cookie('mfa_token')).toBeUndefined()
    const done = await c.post('/api/auth/login/mfa/', { code: await code(secret) })
    expect(done.status).toBe(200)
    expect(done.json.user.username).toBe('ada')
    // The finished login is the one last_login records (the password step alone is no login).
    expect(Math.abs(Date.parse(done.json.user.last_login) - now().getTime())).toBeLessThan(5000)
    expect(done.json).toHaveProperty('access_expires')
    expect(done.cookie('access_token')!.attributes).toMatchObject({ httponly: true, path: '/' })
    expect(done.cookie('refresh_token')!.attributes).toMatchObject({ httponly: true, path: '/api/auth/' })
    expect(done.cookie('csrftoken')!.value).not.toBe('')
    expect(done.cookie('mfa_token')).toMatchObject({ value: '', attributes: { 'max-age': '0', path: '/api/auth/login/mfa/' } })
    const me = await c.get('/api/auth/me/')
    expect(me.status).toBe(200)
    expect(me.json.username).toBe('ada')
    nextStep()
  })

  it('refuses a replayed code, also with a fresh mfa token', async () => {
    const first = client()
    expectMfaRequired(await first.post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
    const used = await code(secret)
    expect((await first.post('/api/auth/login/mfa/', { code: used })).status).toBe(200)
    const second = client()
    expectMfaRequired(await second.post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
    const replay = await second.post('/api/auth/login/mfa/', { code: used })
    expect(replay.status).toBe(400)
    expect(replay.json).toEqual({ code: ['The code is invalid or was already used.'] })
    nextStep()
  })

  it('an mfa cookie finishes one login only', async () => {
    const c = client()
    const token = expectMfaRequired(await c.post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
    expect((await c.post('/api/auth/login/mfa/', { code: await code(secret) })).status).toBe(200)
    nextStep()
    const reuse = await client().post('/api/auth/login/mfa/', { code: await code(secret) }, { headers: { cookie: `mfa_token=${token}` } })
    expect(reuse.status).toBe(401)
    expect(reuse.json).toEqual({ detail: 'Token was already used', code: 'token_not_valid' })
    expect(reuse.cookie('mfa_token')?.attributes['max-age']).toBe('0')
    nextStep()
  })

  it('logs in with a backup code once; the same backup code is refused after', async () => {
    const c = client()
    expectMfaRequired(await c.post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
    const ok = await c.post('/api/auth/login/mfa/', { code: backupCodes[0]!.toUpperCase() })
    expect(ok.status).toBe(200)
    const d = client()
    expectMfaRequired(await d.post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
    const again = await d.post('/api/auth/login/mfa/', { code: backupCodes[0] })
    expect(again.status).toBe(400)
    expect(again.json).toEqual({ code: ['The code is invalid or was already used.'] })
  })

  it("refuses another user's mfa token with this user's code", async () => {
    const bob = client()
    expectMfaRequired(await bob.post('/api/auth/login/', { username: 'bob', password: PASSWORD }))
    const res = await bob.post('/api/auth/login/mfa/', { code: await code(secret) })
    expect(res.status).toBe(400)
    expect((await bob.post('/api/auth/login/mfa/', { code: backupCodes[5] })).status).toBe(400)
    expect((await bob.get('/api/auth/me/')).status).toBe(401)
  })

  it('the code step without an mfa cookie, with a forged one, or from a foreign origin is refused', async () => {
    const none = await client().post('/api/auth/login/mfa/', { code: '123456' })
    expect(none.status).toBe(401)
    expect(none.json).toEqual({ detail: 'No MFA token was provided', code: 'token_not_valid' })
    const forged = await client().post('/api/auth/login/mfa/', { code: '123456' }, { headers: { cookie: 'mfa_token=a.b.c' } })
    expect(forged.status).toBe(401)
    expect(forged.json.code).toBe('token_not_valid')
    const c = client()
    expectMfaRequired(await c.post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
    const foreign = await c.post('/api/auth/login/mfa/', { code: await code(secret) }, { headers: { origin: 'http://evil.example.com' } })
    expect(foreign.status).toBe(403)
  })

  it('the mfa token is refused everywhere else: as access cookie, Bearer, refresh token, on verify', async () => {
    const c = client()
    const token = expectMfaRequired(await c.post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
    const asCookie = await send(server.url, 'GET', '/api/auth/me/', { headers: { cookie: `access_token=${token}` } })
    expect(asCookie.status).toBe(401)
    expect(asCookie.json).toEqual({ detail: 'Token has wrong type', code: 'token_not_valid' })
    const asBearer = await send(server.url, 'GET', '/api/auth/me/', { headers: { authorization: `Bearer ${token}` } })
    expect(asBearer.status).toBe(401)
    expect(asBearer.json.code).toBe('token_not_valid')
    const setup = await send(server.url, 'POST', '/api/auth/mfa/totp/setup/', { headers: { authorization: `Bearer ${token}` } })
    expect(setup.status).toBe(401)
    const asRefreshCookie = await send(server.url, 'POST', '/api/auth/refresh/', { headers: { cookie: `refresh_token=${token}` } })
    expect(asRefreshCookie.status).toBe(401)
    expect(asRefreshCookie.json).toEqual({ detail: 'Token has wrong type', code: 'token_not_valid' })
    const json = { 'content-type': 'application/json' }
    const asRefresh = await send(server.url, 'POST', '/api/token/refresh/', { headers: json, body: JSON.stringify({ refresh: token }) })
    expect(asRefresh.status).toBe(401)
    const verify = await send(server.url, 'POST', '/api/token/verify/', { headers: json, body: JSON.stringify({ token }) })
    expect(verify.status).toBe(401)
    expect(verify.json).toEqual({ detail: 'Token has wrong type', code: 'token_not_valid' })
    const blacklist = await send(server.url, 'POST', '/api/token/blacklist/', { headers: json, body: JSON.stringify({ refresh: token }) })
    expect(blacklist.status).toBe(401)
  })

  it('brute force: after five wrong codes even the right one is 429 with Retry-After', async () => {
    await server.createUser('eve')
    const { secret: eveSecret } = await enrol(await signedIn('eve'))
    const c = client()
    expectMfaRequired(await c.post('/api/auth/login/', { username: 'eve', password: PASSWORD }))
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await c.post('/api/auth/login/mfa/', { code: String(200000 + i) })).status)
    expect(statuses).toEqual([400, 400, 400, 400, 400])
    const locked = await c.post('/api/auth/login/mfa/', { code: await code(eveSecret) })
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(3000)
    expect(locked.json).toEqual({ detail: expect.stringMatching(/^Request was throttled\. Expected available in \d+ seconds\.$/), code: 'throttled' })
    // The lock is the user's, from every IP and on the Bearer flow too.
    const bearer = await send(server.url, 'POST', '/api/token/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'eve', password: PASSWORD }),
    })
    const again = await send(server.url, 'POST', '/api/token/mfa/', {
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.99' },
      body: JSON.stringify({ mfa_token: bearer.json.mfa_token, code: await code(eveSecret) }),
    })
    expect(again.status).toBe(429)
  })
})

describe('two-step login over HTTP (Bearer flow)', () => {
  let secret: string
  const post = (path: string, body: unknown) =>
    send(server.url, 'POST', path, {
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${nextIp++}` },
      body: JSON.stringify(body),
    })

  beforeAll(async () => {
    await server.createUser('cal')
    ;({ secret } = await enrol(await signedIn('cal')))
  })

  it('POST /api/token/ answers mfa_required with an mfa_token; POST /api/token/mfa/ returns the pair', async () => {
    const first = await post('/api/token/', { username: 'cal', password: PASSWORD })
    expect(first.status).toBe(200)
    expect(Object.keys(first.json).sort()).toEqual(['mfa_required', 'mfa_token'])
    expect(first.json.mfa_required).toBe(true)
    expect(first.cookies).toEqual([])
    const pair = await post('/api/token/mfa/', { mfa_token: first.json.mfa_token, code: await code(secret) })
    expect(pair.status).toBe(200)
    expect(Object.keys(pair.json).sort()).toEqual(['access', 'refresh'])
    const me = await send(server.url, 'GET', '/api/auth/me/', { headers: { authorization: `Bearer ${pair.json.access}` } })
    expect(me.json.username).toBe('cal')
    const refreshed = await post('/api/token/refresh/', { refresh: pair.json.refresh })
    expect(refreshed.status).toBe(200)
    nextStep()
    const reuse = await post('/api/token/mfa/', { mfa_token: first.json.mfa_token, code: await code(secret) })
    expect(reuse.status).toBe(401)
    expect(reuse.json).toEqual({ detail: 'Token was already used', code: 'token_not_valid' })
    nextStep()
  })

  it('refuses an access token as mfa_token, and bad bodies', async () => {
    await server.createUser('dan')
    const plain = await post('/api/token/', { username: 'dan', password: PASSWORD })
    const wrongType = await post('/api/token/mfa/', { mfa_token: plain.json.access, code: await code(secret) })
    expect(wrongType.status).toBe(401)
    expect(wrongType.json).toEqual({ detail: 'Token has wrong type', code: 'token_not_valid' })
    const missing = await post('/api/token/mfa/', {})
    expect(missing.status).toBe(400)
    expect(missing.json).toEqual({ mfa_token: ['This field is required.'], code: ['This field is required.'] })
  })
})
