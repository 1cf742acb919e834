/**
 * Property-based fuzzing with fast-check: the token parser (core `verifyToken`) in-process, and every JSON body
 * schema, the auth headers and cookies over real HTTP. No input produces a 5xx, a hang, or a Set-Cookie of a token.
 */
import { AuthError, verifyToken } from '@cookiejwt/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  FRONTEND,
  b64url,
  claims,
  forge,
  login,
  send,
  sessionCookies,
  setsTokenCookie,
  signRaw,
  snapshot,
  startServer,
  type Exchange,
  type Session,
  type TestServer,
} from './harness.js'

let server: TestServer
let ada: Session
let adaId: number
beforeAll(async () => {
  server = await startServer()
  adaId = (await server.createUser('ada')).id
  ada = await login(server, 'ada')
})
afterAll(async () => {
  await server?.close()
})

const RUNS = Number(process.env.FUZZ_RUNS ?? 40)
// A larger budget (CI sets FUZZ_RUNS=400, .ci/run) gets proportionally more time per property.
vi.setConfig({ testTimeout: 30_000 * Math.max(1, RUNS / 100) })

/** The parser's contract: it returns a checked token or throws AuthError token_not_valid — nothing else. */
function parse(token: string): 'ok' | 'rejected' {
  try {
    const t = verifyToken(server.settings, token, 'access')
    expect(t.type).toBe('access')
    expect(Number.isSafeInteger(t.exp)).toBe(true)
    expect(t.exp).toBeGreaterThan(Date.now() / 1000 - 1)
    expect(typeof t.jti).toBe('string')
    return 'ok'
  } catch (error) {
    if (!(error instanceof AuthError)) throw error
    expect(error.code).toBe('token_not_valid')
    return 'rejected'
  }
}

const claimValue = fc.oneof(
  fc.jsonValue(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constantFrom('access', 'refresh', 'sliding', 'none', ''),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 53, -1, 0, 1e20, 253402300799, 253402300800),
)
const claimsArb = fc.record(
  { token_type: claimValue, exp: claimValue, iat: claimValue, nbf: claimValue, jti: claimValue, user_id: claimValue, aud: claimValue },
  { requiredKeys: [] },
)
const headerArb = fc.record(
  {
    alg: fc.oneof(fc.constantFrom('HS256', 'none', 'None', 'HS512', 'RS256', 'ES256', 'EdDSA', ''), fc.jsonValue()),
    typ: fc.jsonValue(),
    kid: fc.oneof(fc.string(), fc.jsonValue()),
    crit: fc.jsonValue(),
    jku: fc.string(),
    b64: fc.jsonValue(),
  },
  { requiredKeys: [] },
)

describe('token parser (core verifyToken)', () => {
  it('rejects arbitrary strings with token_not_valid and nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 600 }), fc.base64String()), (s) => {
        expect(parse(s)).toBe('rejected')
      }),
      { numRuns: RUNS * 10 },
    )
  })
  it('rejects arbitrary JWT-shaped strings of random base64url segments', () => {
    const seg = fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a).toString('base64url'))
    fc.assert(
      fc.property(seg, seg, seg, (h, p, s) => {
        expect(parse(`${h}.${p}.${s}`)).toBe('rejected')
      }),
      { numRuns: RUNS * 10 },
    )
  })
  it('returns or rejects cleanly for random headers and claims signed with the REAL key; ok only when sane', () => {
    fc.assert(
      fc.property(headerArb, claimsArb, (header, payload) => {
        const result = parse(forge(payload, { header }))
        if (result === 'ok') {
          expect(header.alg).toBe('HS256')
          expect(payload.token_type).toBe('access')
        }
      }),
      { numRuns: RUNS * 10 },
    )
  })
  it('rejects any random JSON value (array, number, string, null…) as a payload signed with the real key', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (payload) => {
        fc.pre(payload === null || typeof payload !== 'object' || Array.isArray(payload))
        expect(parse(signRaw('{"alg":"HS256","typ":"JWT"}', JSON.stringify(payload) ?? 'null'))).toBe('rejected')
      }),
      { numRuns: RUNS * 5 },
    )
  })
  it('rejects every single-character mutation of a valid token', () => {
    const token = forge(claims(adaId))
    expect(parse(token)).toBe('ok')
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ '
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), (i, ch) => {
        const mutated = token.slice(0, i) + ch + token.slice(i + 1)
        // A mutation of the last character may only touch base64url padding bits of the signature and decode identically.
        if (mutated === token || i === token.length - 1) return
        expect(parse(mutated)).toBe('rejected')
      }),
      { numRuns: RUNS * 10 },
    )
  })
  it('rejects raw, unparseable or exotic payload text signed with the real key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        fc.pre(!/^\s*\{/.test(text))
        expect(parse(signRaw('{"alg":"HS256"}', text))).toBe('rejected')
      }),
      { numRuns: RUNS * 5 },
    )
  })
})

/** The HTTP contract for any hostile input: a 4xx or a legitimate 200, never a 5xx, never a minted token. */
function expectSafe(res: Exchange, what: string) {
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 200)}`).toBeLessThan(500)
  expect(res.status, what).toBeGreaterThanOrEqual(200)
  expect(setsTokenCookie(res, server.settings), `${what} set a token cookie`).toBe(false)
  if (res.status >= 400) {
    expect(res.json, `${what}: error body is JSON`).toBeTypeOf('object')
    expect(res.text, what).not.toMatch(/at .*\.(ts|js):\d+|SqliteError|node_modules/)
  }
}

const ENDPOINTS: { path: string; method: string; keys: string[]; auth?: boolean }[] = [
  { path: '/api/auth/login/', method: 'POST', keys: ['username', 'password'] },
  { path: '/api/auth/refresh/', method: 'POST', keys: ['refresh'] },
  { path: '/api/auth/logout/', method: 'POST', keys: ['refresh'] },
  { path: '/api/auth/me/', method: 'PATCH', keys: ['email', 'first_name', 'last_name'], auth: true },
  { path: '/api/auth/password/change/', method: 'POST', keys: ['old_password', 'new_password'], auth: true },
  { path: '/api/token/', method: 'POST', keys: ['username', 'password'] },
  { path: '/api/token/refresh/', method: 'POST', keys: ['refresh'] },
  { path: '/api/token/verify/', method: 'POST', keys: ['token'] },
  { path: '/api/token/blacklist/', method: 'POST', keys: ['refresh'] },
  { path: '/api/auth/sessions/revoke-others/', method: 'POST', keys: ['id', 'keep'], auth: true },
]

const fieldValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue(),
  fc.constantFrom('', '\u0000', 'ada', 'a'.repeat(5000), '__proto__', 'a.b.c', forge(claims(1, 'refresh'), { key: 'attacker-key-attacker-key-attacker' })),
)

describe('every JSON body schema over HTTP', () => {
  let before: Awaited<ReturnType<typeof snapshot>>
  beforeAll(async () => {
    before = await snapshot(server)
  })
  for (const endpoint of ENDPOINTS) {
    const call = (body: string) =>
      send(server, endpoint.path, {
        method: endpoint.method,
        headers: { 'content-type': 'application/json', origin: FRONTEND, ...(endpoint.auth ? { 'x-csrftoken': ada.csrf } : {}) },
        ...(endpoint.auth ? { cookies: sessionCookies(server, ada) } : {}),
        body,
      })
    it(`${endpoint.method} ${endpoint.path}: random JSON values`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), async (value) => {
          expectSafe(await call(JSON.stringify(value) ?? 'null'), `${endpoint.path} ${JSON.stringify(value)?.slice(0, 80)}`)
        }),
        { numRuns: RUNS },
      )
    })
    it(`${endpoint.method} ${endpoint.path}: random strings as the body`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), async (text) => {
          expectSafe(await call(text), `${endpoint.path} ${JSON.stringify(text).slice(0, 80)}`)
        }),
        { numRuns: RUNS },
      )
    })
    it(`${endpoint.method} ${endpoint.path}: objects with the schema keys and hostile values`, async () => {
      const record = fc.record(Object.fromEntries(endpoint.keys.map((k) => [k, fieldValue])), { requiredKeys: [] })
      await fc.assert(
        fc.asyncProperty(record, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue(), { maxKeys: 3 }), async (fields, extra) => {
          expectSafe(await call(JSON.stringify({ ...extra, ...fields })), `${endpoint.path} ${JSON.stringify(fields).slice(0, 80)}`)
        }),
        { numRuns: RUNS },
      )
    })
  }
  it('changed no password, no staff flag and no username', async () => {
    const after = await snapshot(server)
    const strip = (rows: unknown[]) =>
      (rows as Record<string, unknown>[]).map(({ username, password, is_staff, is_superuser, is_active }) => ({ username, password, is_staff, is_superuser, is_active }))
    expect(strip(after.users)).toEqual(strip(before.users))
  })
})

describe('auth headers and cookies over HTTP', () => {
  const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 })
  it('random Authorization headers are 401 or ignored, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(printable, printable.map((s) => `Bearer ${s}`), printable.map((s) => `Bearer ${b64url(s)}.${b64url(s)}.${b64url(s)}`)), async (value) => {
        const res = await send(server, '/api/auth/me/', { headers: { authorization: value } })
        expectSafe(res, `Authorization: ${value.slice(0, 80)}`)
        expect([401]).toContain(res.status)
      }),
      { numRuns: RUNS * 2 },
    )
  })
  it('random Cookie headers never authenticate and never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(printable, async (value) => {
        const res = await send(server, '/api/auth/me/', { headers: { cookie: value } })
        expectSafe(res, `Cookie: ${value.slice(0, 80)}`)
        expect(res.status).toBe(401)
      }),
      { numRuns: RUNS * 2 },
    )
  })
  it('random Origin headers never get CORS grants unless exactly allowed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(printable, fc.webUrl().map((u) => new URL(u).origin)), async (origin) => {
        const res = await send(server, '/api/auth/csrf/', { headers: { origin } })
        expectSafe(res, `Origin: ${origin}`)
        const acao = res.headers['access-control-allow-origin']
        if (acao !== undefined) expect(server.settings.cors.allowedOrigins).toContain(acao)
      }),
      { numRuns: RUNS * 2 },
    )
  })
  it('random X-CSRFToken values never pass for a cookie-authenticated write', async () => {
    await fc.assert(
      fc.asyncProperty(printable, async (token) => {
        fc.pre(token !== ada.csrf)
        const res = await send(server, '/api/auth/me/', {
          method: 'PATCH',
          headers: { 'x-csrftoken': token },
          cookies: sessionCookies(server, ada),
          body: { first_name: 'Mallory' },
        })
        expectSafe(res, `X-CSRFToken: ${token}`)
        expect(res.status).toBe(403)
      }),
      { numRuns: RUNS * 2 },
    )
  })
  it('random session ids in DELETE /api/auth/sessions/<id>/ are 4xx and revoke nothing', async () => {
    const bob = await server.createUser(`bob-${Date.now()}`)
    const victim = await login(server, bob.username)
    const id = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }),
      fc.constantFrom("' OR 1=1 --", '*', '%', '../', '0', '-1', 'null', 'undefined', '__proto__'),
    )
    await fc.assert(
      fc.asyncProperty(id, async (sid) => {
        const res = await send(server, `/api/auth/sessions/${encodeURIComponent(sid)}/`, {
          method: 'DELETE',
          headers: { 'x-csrftoken': ada.csrf },
          cookies: sessionCookies(server, ada),
        })
        expectSafe(res, `DELETE session ${JSON.stringify(sid)}`)
        expect(res.status).toBeGreaterThanOrEqual(400)
      }),
      { numRuns: RUNS },
    )
    // The other user's session survived every attempt.
    expect((await send(server, '/api/auth/me/', { cookies: sessionCookies(server, victim) })).status).toBe(200)
  })
  it('random URL paths under /api/ are 4xx, never a 5xx', async () => {
    const seg = fc.string({ unit: fc.constantFrom(...'abc%2e./\\_-~:@!$&\'()*+,;=0123456789'), maxLength: 40 })
    await fc.assert(
      fc.asyncProperty(seg, async (path) => {
        const res = await send(server, `/api/auth/${encodeURI(path).replace(/%25/g, '%')}`)
        expect(res.status, path).toBeLessThan(500)
      }),
      { numRuns: RUNS * 2 },
    )
  })
})
