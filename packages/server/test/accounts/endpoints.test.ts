/**
 * Sign-up, email verification and password reset over HTTP, with the emails going through a real SMTP server on
 * loopback: the tests read the messages the server sent and follow their links. Hostile cases: expired, reused,
 * tampered and other users' tokens; enumeration by body and by timing.
 */
import type { AuthSettingsInput } from '@cookiejwt/core'
import type { ParsedMail } from 'mailparser'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, PASSWORD, send, signIn, startTestServer, type TestServer } from '../helpers.js'
import { startSmtpServer, type TestSmtpServer } from './smtp.js'

const FRONTEND = 'https://app.example.com'

let smtp: TestSmtpServer
beforeAll(async () => {
  smtp = await startSmtpServer()
})
afterAll(() => smtp.close())

const servers: TestServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function server(
  input: AuthSettingsInput = {},
  deps: { now?: () => Date } = {},
): Promise<TestServer> {
  const s = await startTestServer(
    {
      frontendUrl: FRONTEND,
      ...input,
      email: {
        backend: 'smtp',
        url: `${smtp.url}?ignoreTLS=true`,
        from: 'Accounts <accounts@example.com>',
        ...(input.email ?? {}),
      },
    },
    deps,
  )
  servers.push(s)
  return s
}

/** The next message to `to` (waits for the worker to deliver it). */
async function mailTo(to: string, after = 0): Promise<ParsedMail> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const found = smtp.messages.slice(after).find((m) => (m.to as { text: string }).text === to)
    if (found) return found
    if (Date.now() > deadline) throw new Error(`no email to ${to} arrived`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function linkIn(mail: ParsedMail, path: string): string {
  const match = (mail.text ?? '').match(
    new RegExp(`${FRONTEND.replace(/\./g, '\\.')}${path}[^\\s]+`),
  )
  if (!match) throw new Error(`no ${path} link in: ${mail.text}`)
  return match[0]
}

const resetParts = (link: string) => {
  const [, uid, token] = link.match(/\/reset-password\/([^/]+)\/([^/\s]+)$/) ?? []
  return { uid: uid as string, token: token as string }
}

describe('sign-up', () => {
  it('is off by default: POST /api/auth/register/ is a 404', async () => {
    const s = await server()
    const res = await send(s.url, 'POST', '/api/auth/register/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'a', email: 'a@example.com', password: PASSWORD }),
    })
    expect(res.status).toBe(404)
    expect(res.json).toEqual({ detail: 'Not found.', code: 'not_found' })
  })

  it('GET /api/auth/features/ tells anyone, signed in or not, whether sign-up is open', async () => {
    const off = await server()
    const closed = await send(off.url, 'GET', '/api/auth/features/')
    expect(closed.status).toBe(200)
    expect(closed.json).toEqual({ registration: false })
    expect(closed.headers.get('cache-control')).toBe('no-store')
    // A signed-in browser (cookies) gets the same answer; a bad access cookie is not even read.
    await off.createUser('ada')
    const { client } = await signIn(off, 'ada')
    expect((await client.get('/api/auth/features/')).json).toEqual({ registration: false })
    const stale = await send(off.url, 'GET', '/api/auth/features/', { headers: { cookie: 'access_token=not-a-jwt' } })
    expect([stale.status, stale.json]).toEqual([200, { registration: false }])
    const open = await server({ registration: true })
    expect((await send(open.url, 'GET', '/api/auth/features/')).json).toEqual({ registration: true })
    // Read-only: other methods are 405.
    const post = await send(open.url, 'POST', '/api/auth/features/', { headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(post.status).toBe(405)
    expect(post.json).toMatchObject({ code: 'method_not_allowed' })
  })

  it('mandatory verification: sign up → email → login refused only with the right password → verify → login', async () => {
    const s = await server({ registration: true, emailVerification: 'mandatory' })
    const client = new Client(s.url)
    const before = smtp.messages.length
    const res = await client.post('/api/auth/register/', {
      username: 'ada',
      email: 'Ada@Example.COM',
      password: PASSWORD,
    })
    expect(res.status).toBe(201)
    expect(res.json).toEqual({ detail: 'Verification e-mail sent.' })
    expect(res.cookie('access_token')).toBeUndefined()
    const mail = await mailTo('Ada@example.com', before)
    expect(mail.subject).toBe('Confirm your email address for app.example.com')
    expect(mail.from?.value[0]?.address).toBe('accounts@example.com')
    const link = linkIn(mail, '/verify-email/')
    expect(mail.html).toContain(`href="${link}"`)

    const wrong = await client.post('/api/auth/login/', {
      username: 'ada',
      password: 'not-the-password',
    })
    expect(wrong.status).toBe(401)
    expect(wrong.json.code).toBe('no_active_account')
    const unverified = await client.post('/api/auth/login/', {
      username: 'ada',
      password: PASSWORD,
    })
    expect(unverified.status).toBe(401)
    expect(unverified.json).toEqual({
      detail: 'E-mail is not verified.',
      code: 'email_not_verified',
    })
    expect(unverified.cookie('access_token')).toBeUndefined()
    const bearer = await client.post('/api/token/', { username: 'ada', password: PASSWORD })
    expect(bearer.status).toBe(401)
    expect(bearer.json.code).toBe('email_not_verified')

    const key = link.slice(link.lastIndexOf('/') + 1)
    const verified = await client.post('/api/auth/verify-email/', { key })
    expect(verified.status).toBe(200)
    expect(verified.json).toEqual({ detail: 'ok' })
    const again = await client.post('/api/auth/verify-email/', { key })
    expect(again.status).toBe(400)
    expect(again.json).toEqual({ key: ['This verification link is invalid or has expired.'] })
    const login = await client.post('/api/auth/login/', { username: 'ada', password: PASSWORD })
    expect(login.status).toBe(200)
    expect(login.json.user).toMatchObject({ username: 'ada', email: 'Ada@example.com' })
  })

  it('answers a taken username or email exactly like a free one and tells the owner by email', async () => {
    const s = await server({ registration: true, emailVerification: 'optional' })
    await s.createUser('grace', { email: 'grace@example.com' })
    const free = await new Client(s.url).post('/api/auth/register/', {
      username: 'linus',
      email: 'linus@example.com',
      password: PASSWORD,
    })
    const takenName = await new Client(s.url).post('/api/auth/register/', {
      username: 'grace',
      email: 'other@example.com',
      password: PASSWORD,
    })
    const before = smtp.messages.length
    const takenEmail = await new Client(s.url).post('/api/auth/register/', {
      username: 'grace2',
      email: 'GRACE@example.com',
      password: PASSWORD,
    })
    for (const res of [takenName, takenEmail]) {
      expect(res.status).toBe(free.status)
      expect(res.text).toBe(free.text)
      expect(res.cookies.map((c) => c.name)).toEqual(free.cookies.map((c) => c.name))
    }
    const news = await mailTo('GRACE@example.com', before)
    expect(news.subject).toBe('Sign-up attempt at app.example.com')
    expect(news.text).toContain(`${FRONTEND}/forgot-password`)
    expect(await s.users.findByUsername('grace2')).toBeNull()
    expect((await s.users.findByUsername('grace'))?.email).toBe('grace@example.com')
  })

  it('takes as long for a taken username or address as for a free one', async () => {
    const s = await server({ registration: true, throttle: { enabled: false } })
    for (let i = 0; i < 6; i++) await s.createUser(`taken${i}`, { email: `taken${i}@example.com` })
    const time = async (username: string, email: string) => {
      const t = performance.now()
      const r = await new Client(s.url).post('/api/auth/register/', {
        username,
        email,
        password: PASSWORD,
      })
      expect(r.status).toBe(201)
      return performance.now() - t
    }
    const taken: number[] = []
    const free: number[] = []
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 6; i++) {
        taken.push(
          await time(
            round === 0 ? `taken${i}` : `fresh-name-${i}`,
            round === 0 ? `new${i}@example.com` : `taken${i}@example.com`,
          ),
        )
        free.push(await time(`free${round}x${i}`, `free${round}x${i}@example.com`))
      }
    }
    const median = (xs: number[]) =>
      [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number
    const ratio = median(taken) / median(free)
    expect(ratio).toBeGreaterThan(0.3)
    expect(ratio).toBeLessThan(3)
  })

  it('refuses a sign-up, a reset or a verification posted from a foreign origin', async () => {
    const s = await server({ registration: true })
    const foreign = new Client(s.url, { origin: 'https://evil.example' })
    for (const [path, body] of [
      ['/api/auth/register/', { username: 'eve', email: 'eve@example.com', password: PASSWORD }],
      ['/api/auth/password/reset/', { email: 'eve@example.com' }],
      ['/api/auth/password/reset/confirm/', { uid: 'MQ', token: 't', new_password: PASSWORD }],
      ['/api/auth/verify-email/', { key: 'k' }],
    ] as const) {
      const res = await foreign.post(path, body)
      expect(res.status, path).toBe(403)
    }
    expect(await s.users.findByUsername('eve')).toBeNull()
  })

  it('without verification logs the new user in and names taken fields', async () => {
    const s = await server({ registration: true, emailVerification: 'none' })
    const client = new Client(s.url)
    const res = await client.post('/api/auth/register/', {
      username: 'ada',
      email: 'ada@example.com',
      password1: PASSWORD,
      password2: PASSWORD,
    })
    expect(res.status).toBe(201)
    expect(res.json.user).toMatchObject({ username: 'ada', email: 'ada@example.com' })
    expect(res.cookie('access_token')?.attributes.httponly).toBe(true)
    expect((await client.get('/api/auth/me/')).json.username).toBe('ada')
    const taken = await new Client(s.url).post('/api/auth/register/', {
      username: 'ada',
      email: 'ADA@example.com',
      password: PASSWORD,
    })
    expect(taken.status).toBe(400)
    expect(taken.json).toEqual({
      username: ['A user with that username already exists.'],
      email: ['A user is already registered with this e-mail address.'],
    })
  })

  it('refuses bad input with DRF field errors and Django’s password messages', async () => {
    const s = await server({ registration: true })
    const c = new Client(s.url)
    const weak = await c.post('/api/auth/register/', {
      username: 'ada',
      email: 'ada@example.com',
      password: 'ada12',
    })
    expect(weak.status).toBe(400)
    expect(weak.json).toEqual({
      password: [
        'The password is too similar to the username.',
        'This password is too short. It must contain at least 8 characters.',
      ],
    })
    const bad = await c.post('/api/auth/register/', {
      username: 'ada lovelace',
      email: 'not-an-address',
      password: PASSWORD,
    })
    expect(bad.json).toEqual({
      username: [
        'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
      ],
      email: ['Enter a valid email address.'],
    })
    const mismatch = await c.post('/api/auth/register/', {
      username: 'ada',
      email: 'ada@example.com',
      password1: PASSWORD,
      password2: `${PASSWORD}x`,
    })
    expect(mismatch.json).toEqual({ non_field_errors: ["The two password fields didn't match."] })
    const missing = await c.post('/api/auth/register/', { username: 'ada' })
    expect(missing.status).toBe(400)
    for (const hostile of [
      { username: 'a\u0000b', email: 'a@b.co', password: PASSWORD },
      { username: 'x'.repeat(151), email: 'a@b.co', password: PASSWORD },
      [1, 2],
      'text',
    ]) {
      const r = await c.post('/api/auth/register/', hostile)
      expect(r.status, JSON.stringify(hostile)).toBe(400)
    }
  })
})

describe('frontendUrl', () => {
  it('is required at start-up by sign-up or mandatory verification, and links never come from the Host header', async () => {
    await expect(startTestServer({ registration: true })).rejects.toThrow(
      '"frontendUrl" is required with registration or mandatory email verification (COOKIEJWT_FRONTEND_URL)',
    )
    await expect(startTestServer({ emailVerification: 'mandatory' })).rejects.toThrow(
      '"frontendUrl" is required',
    )
    // Without it, a reset request still answers 200 and sends no link anywhere (no Host-derived URL).
    const s = await startTestServer({
      email: { backend: 'smtp', url: `${smtp.url}?ignoreTLS=true` },
    })
    servers.push(s)
    await s.createUser('ada', { email: 'ada@example.com' })
    const before = smtp.messages.length
    const res = await new Client(s.url).post(
      '/api/auth/password/reset/',
      { email: 'ada@example.com' },
      { headers: { host: 'evil.example' } },
    )
    expect(res.status).toBe(200)
    await new Promise((r) => setTimeout(r, 1500))
    expect(smtp.messages.slice(before)).toEqual([])
  })
})

describe('changing the email address', () => {
  it('sends a verification link to the new address, which then verifies it', async () => {
    const s = await server({ emailVerification: 'mandatory' })
    const ada = await s.createUser('ada', { email: 'ada@example.com' })
    await s.database.db
      .insertInto('cookiejwt_email_address')
      .values({ user_id: ada.id, email: 'ada@example.com', verified_at: Date.now() })
      .execute()
    const { client } = await signIn(s, 'ada')
    const before = smtp.messages.length
    const res = await client.patch('/api/auth/me/', {
      email: 'ada.new@example.com',
      password: PASSWORD,
    })
    expect(res.status, res.text).toBe(200)
    const mail = await mailTo('ada.new@example.com', before)
    const link = linkIn(mail, '/verify-email/')
    expect(
      (await new Client(s.url).post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
        .json.code,
    ).toBe('email_not_verified')
    expect(
      (
        await new Client(s.url).post('/api/auth/verify-email/', {
          key: link.slice(link.lastIndexOf('/') + 1),
        })
      ).status,
    ).toBe(200)
    expect(
      (await new Client(s.url).post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
        .status,
    ).toBe(200)
  })
})

describe('password reset', () => {
  it('emails a link; the link sets a new password once and ends every session of the user', async () => {
    const s = await server()
    await s.createUser('ada', { email: 'ada@example.com' })
    const { client: other } = await signIn(s, 'ada')
    const oldAccess = other.jar.get('access_token') as string
    expect((await other.get('/api/auth/me/')).status).toBe(200)
    const before = smtp.messages.length
    const res = await new Client(s.url).post('/api/auth/password/reset/', {
      email: 'ADA@example.com',
    })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ detail: 'Password reset e-mail has been sent.' })
    const mail = await mailTo('ada@example.com', before)
    expect(mail.subject).toBe('Password reset on app.example.com')
    expect(mail.text).toContain('Your username, in case you’ve forgotten: ada')
    const { uid, token } = resetParts(linkIn(mail, '/reset-password/'))
    // Tokens are stored only as digests.
    const rows = await s.database.db.selectFrom('cookiejwt_account_token').selectAll().execute()
    expect(JSON.stringify(rows)).not.toContain(token)

    const c = new Client(s.url)
    const weak = await c.post('/api/auth/password/reset/confirm/', {
      uid,
      token,
      new_password: 'password',
    })
    expect(weak.status).toBe(400)
    expect(weak.json).toEqual({ new_password: ['This password is too common.'] })
    const NEW = 'Brand-New-Harbour-77'
    const ok = await c.post('/api/auth/password/reset/confirm/', {
      uid,
      token,
      new_password1: NEW,
      new_password2: NEW,
    })
    expect(ok.status).toBe(200)
    expect(ok.json).toEqual({ detail: 'Password has been reset with the new password.' })
    const reused = await c.post('/api/auth/password/reset/confirm/', {
      uid,
      token,
      new_password: 'Another-Fresh-One-99',
    })
    expect(reused.status).toBe(400)
    expect(reused.json).toEqual({ token: ['Invalid value'] })

    // The other browser's session is over: its access token and its refresh token are refused.
    expect((await other.get('/api/auth/me/')).status).toBe(401)
    expect((await other.post('/api/auth/refresh/')).status).toBe(401)
    expect(
      (
        await send(s.url, 'GET', '/api/auth/me/', {
          headers: { authorization: `Bearer ${oldAccess}` },
        })
      ).status,
    ).toBe(401)
    expect(
      (await new Client(s.url).post('/api/auth/login/', { username: 'ada', password: PASSWORD }))
        .status,
    ).toBe(401)
    expect(
      (await new Client(s.url).post('/api/auth/login/', { username: 'ada', password: NEW })).status,
    ).toBe(200)
  })

  it('refuses tampered, foreign, expired and outdated tokens', async () => {
    let clock = new Date()
    const s = await server({}, { now: () => clock })
    const ada = await s.createUser('ada', { email: 'ada@example.com' })
    const bob = await s.createUser('bob', { email: 'bob@example.com' })
    const request = async (email: string) => {
      const before = smtp.messages.length
      await new Client(s.url).post('/api/auth/password/reset/', { email })
      return resetParts(linkIn(await mailTo(email, before), '/reset-password/'))
    }
    const confirm = (body: object) =>
      new Client(s.url).post('/api/auth/password/reset/confirm/', {
        new_password: 'Valid-Enough-Password-1',
        ...body,
      })
    const a = await request('ada@example.com')
    const b = await request('bob@example.com')
    const flip = (t: string) => (t[0] === 'A' ? 'B' : 'A') + t.slice(1)
    for (const body of [
      { uid: a.uid, token: flip(a.token) },
      { uid: a.uid, token: b.token },
      { uid: b.uid, token: a.token },
      { uid: 'MTAwMA', token: a.token },
      { uid: 'not base64!', token: a.token },
      { uid: `${a.uid}=`, token: a.token },
      { uid: a.uid, token: `${a.token}x` },
    ]) {
      const res = await confirm(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.json).toEqual({ token: ['Invalid value'] })
    }
    // An old link dies once the password changed some other way.
    await s.users.setPassword(bob.id, await s.hashers.hash('Changed-Elsewhere-88'))
    expect((await confirm(b)).json).toEqual({ token: ['Invalid value'] })
    // Expired after passwordResetTimeout (3 days).
    clock = new Date(clock.getTime() + 259_200_000 + 1000)
    expect((await confirm(a)).json).toEqual({ token: ['Invalid value'] })
    clock = new Date()
    // The first still works before it expires, and a second link of the same user dies with it.
    const a2 = await request('ada@example.com')
    expect((await confirm(a)).status).toBe(200)
    expect((await confirm(a2)).json).toEqual({ token: ['Invalid value'] })
    expect(ada.id).toBeGreaterThan(0)
  })

  it('answers an unknown address exactly like a known one, in about the same time', async () => {
    const s = await server({ throttle: { enabled: false } })
    for (let i = 0; i < 8; i++) await s.createUser(`u${i}`, { email: `known${i}@example.com` })
    const before = smtp.messages.length
    const known = await new Client(s.url).post('/api/auth/password/reset/', {
      email: 'known0@example.com',
    })
    const unknown = await new Client(s.url).post('/api/auth/password/reset/', {
      email: 'nobody@example.com',
    })
    expect(unknown.status).toBe(known.status)
    expect(unknown.text).toBe(known.text)
    expect([...unknown.headers.keys()].sort()).toEqual([...known.headers.keys()].sort())
    const news = await mailTo('nobody@example.com', before)
    expect(news.text).toContain('There is no account with this email address.')
    const time = async (email: string) => {
      const t = performance.now()
      const r = await new Client(s.url).post('/api/auth/password/reset/', { email })
      expect(r.status).toBe(200)
      return performance.now() - t
    }
    const k: number[] = []
    const u: number[] = []
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 8; i++) {
        k.push(await time(`known${i}@example.com`))
        u.push(await time(`nobody${round}-${i}@example.com`))
      }
    }
    const median = (xs: number[]) =>
      [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number
    const ratio = median(u) / median(k)
    expect(ratio).toBeGreaterThan(0.3)
    expect(ratio).toBeLessThan(3)
  })

  it('throttles requests per address and per IP with 429, known or not', async () => {
    const s = await server()
    await s.createUser('ada', { email: 'ada@example.com' })
    const c = new Client(s.url)
    for (let i = 0; i < 5; i++)
      expect((await c.post('/api/auth/password/reset/', { email: 'ada@example.com' })).status).toBe(
        200,
      )
    const limited = await c.post('/api/auth/password/reset/', { email: 'ada@example.com' })
    expect(limited.status).toBe(429)
    expect(limited.json.code).toBe('throttled')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    for (let i = 0; i < 5; i++)
      await c.post('/api/auth/password/reset/', { email: 'ghost@example.com' })
    expect((await c.post('/api/auth/password/reset/', { email: 'ghost@example.com' })).status).toBe(
      429,
    )
    let status = 0
    for (let i = 0; i < 12 && status !== 429; i++)
      status = (await c.post('/api/auth/password/reset/', { email: `x${i}@example.com` })).status
    expect(status).toBe(429)
  })

  it('refuses hostile bodies with a 400', async () => {
    const s = await server()
    const c = new Client(s.url)
    for (const body of [
      {},
      { email: '' },
      { email: 5 },
      { email: 'a\u0000@b.c' },
      { email: 'x'.repeat(300) },
    ]) {
      expect((await c.post('/api/auth/password/reset/', body)).status, JSON.stringify(body)).toBe(
        400,
      )
    }
    for (const body of [
      {},
      { uid: 'MQ' },
      { uid: 'MQ', token: 't' },
      { uid: 'x'.repeat(65), token: 't', new_password: 'p' },
    ]) {
      expect(
        (await c.post('/api/auth/password/reset/confirm/', body)).status,
        JSON.stringify(body),
      ).toBe(400)
    }
    for (const body of [{}, { key: '' }, { key: 'nope' }, { key: 'x'.repeat(5000) }]) {
      expect((await c.post('/api/auth/verify-email/', body)).status, JSON.stringify(body)).toBe(400)
    }
  })
})
