/**
 * Token forgery and parsing, over real HTTP: every forged, spoiled or misplaced JWT is a 401 `token_not_valid`
 * (or `user_not_found`), never a 5xx, never a token cookie, never a state change.
 */
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto'
import { defineSettings } from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  b64url,
  claims,
  errorBody,
  forge,
  login,
  obtainPair,
  send,
  sendRaw,
  setsTokenCookie,
  signRaw,
  snapshot,
  startServer,
  TEST_KEY,
  type Exchange,
  type TestServer,
} from './harness.js'

let server: TestServer
let ada: { id: number }
let before: Awaited<ReturnType<typeof snapshot>>
let attacker: { privateKey: KeyObject; publicKey: KeyObject }

beforeAll(async () => {
  server = await startServer()
  ada = await server.createUser('ada')
  attacker = generateKeyPairSync('rsa', { modulusLength: 2048 })
  before = await snapshot(server)
})
afterAll(async () => {
  await server?.close()
})

const HS = { alg: 'HS256', typ: 'JWT' }
const valid = () => claims(ada.id)

function rs256(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  return `${input}.${cryptoSign('sha256', Buffer.from(input), key).toString('base64url')}`
}

/** The exact safe outcome for a bad access token: 401 token_not_valid, a challenge, no token cookie. */
function expectTokenRejected(res: Exchange, detail?: string | RegExp): void {
  expect(res.status, res.text).toBe(401)
  expect(res.json).toEqual(errorBody('token_not_valid', detail))
  expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
  expect(res.headers['cache-control']).toBe('no-store')
  expect(setsTokenCookie(res, server.settings)).toBe(false)
}

const asBearer = (token: string) => send(server, '/api/auth/me/', { headers: { authorization: `Bearer ${token}` } })
const asCookie = (token: string) => send(server, '/api/auth/me/', { cookies: { access_token: token } })

describe('positive control', () => {
  it('accepts a token the suite signs with the server key, so every rejection below is about the one spoiled part', async () => {
    const res = await asBearer(forge(valid()))
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ id: ada.id, username: 'ada' })
  })
})

describe('alg none in every casing', () => {
  const casings = ['none', 'None', 'NONE', 'nOnE', 'none ', '']
  for (const alg of casings) {
    it(`refuses alg ${JSON.stringify(alg)} with an empty signature (Bearer)`, async () => {
      const token = `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${b64url(JSON.stringify(valid()))}.`
      expectTokenRejected(await asBearer(token), 'Token is invalid')
    })
  }
  it('refuses alg none carrying an HMAC signature by the real key (cookie)', async () => {
    expectTokenRejected(await asCookie(forge(valid(), { header: { alg: 'none', typ: 'JWT' } })), 'Token is invalid')
  })
  it('refuses alg NONE on the refresh endpoint and clears the JWT cookies', async () => {
    const token = `${b64url('{"alg":"NONE"}')}.${b64url(JSON.stringify(claims(ada.id, 'refresh')))}.`
    const res = await send(server, '/api/auth/refresh/', { method: 'POST', cookies: { refresh_token: token } })
    expect(res.status).toBe(401)
    expect(res.json).toEqual(errorBody('token_not_valid'))
    expect(setsTokenCookie(res, server.settings)).toBe(false)
    expect(res.setCookies.filter((c) => /Max-Age=0/.test(c))).toHaveLength(2)
  })
})

describe('algorithm confusion', () => {
  it('refuses an RS256 token signed with an attacker RSA key on an HS256 server', async () => {
    expectTokenRejected(await asBearer(rs256({ alg: 'RS256', typ: 'JWT' }, valid(), attacker.privateKey)))
  })
  it('refuses an HS256 token signed with the right key but another HMAC size (HS512)', async () => {
    const t = signRaw(JSON.stringify({ alg: 'HS512', typ: 'JWT' }), JSON.stringify(valid()), TEST_KEY, 'sha512')
    expectTokenRejected(await asBearer(t), 'Token is invalid')
  })
  it('refuses a header that says RS256 over an HMAC signature by the real key', async () => {
    expectTokenRejected(await asBearer(forge(valid(), { header: { alg: 'RS256', typ: 'JWT' } })), 'Token is invalid')
  })
  it('refuses HS256 signed with the server PUBLIC key as HMAC secret on an RS256 server (key confusion)', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 3072 })
    const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    let rs: TestServer
    try {
      defineSettings({ signingKey: privatePem, verifyingKey: publicPem, algorithm: 'RS256' as never })
    } catch (error) {
      throw new Error(
        `RS256 settings are not supported yet (issue 5, asymmetric keys — engineer K): ${(error as Error).message}`,
      )
    }
    rs = await startServer({ signingKey: privatePem, verifyingKey: publicPem, algorithm: 'RS256' as never })
    try {
      const user = await rs.createUser('rsa-user')
      const payload = claims(user.id)
      // Positive control: a real RS256 token of this server works.
      const good = rs256({ alg: 'RS256', typ: 'JWT' }, payload, pair.privateKey)
      const ok = await send(rs, '/api/auth/me/', { headers: { authorization: `Bearer ${good}` } })
      expect(ok.status, ok.text).toBe(200)
      for (const secret of [publicPem, publicPem.trim(), pair.publicKey.export({ type: 'spki', format: 'der' })]) {
        const forged = forge(payload, { header: HS, key: secret as string })
        const res = await send(rs, '/api/auth/me/', { headers: { authorization: `Bearer ${forged}` } })
        expect(res.status).toBe(401)
        expect(res.json).toEqual(errorBody('token_not_valid'))
      }
    } finally {
      await rs.close()
    }
  })
})

describe('kid, jku, x5u and embedded jwk never choose the key', () => {
  const cases: [string, Record<string, unknown>, string | Buffer][] = [
    ['kid path traversal to /dev/null with an empty key', { ...HS, kid: '../../../../../../dev/null' }, ''],
    ['kid path traversal to a file of the package', { ...HS, kid: '../../package.json' }, '{'],
    ["kid SQL injection (' UNION SELECT)", { ...HS, kid: "x' UNION SELECT 'attacker-secret' --" }, 'attacker-secret'],
    ['kid SQL injection with a tautology', { ...HS, kid: "' OR '1'='1" }, 'attacker-secret'],
    ['kid with a NUL byte and command injection', { ...HS, kid: 'a\u0000; cat /etc/passwd |' }, 'attacker-secret'],
    ['jku pointing at an attacker JWKS', { ...HS, jku: 'http://127.0.0.1:1/jwks.json' }, 'attacker-secret'],
    ['x5u pointing at an attacker certificate', { ...HS, x5u: 'http://127.0.0.1:1/cert.pem' }, 'attacker-secret'],
    ['embedded symmetric jwk', { ...HS, jwk: { kty: 'oct', k: b64url('attacker-secret') } }, 'attacker-secret'],
    ['x5c with a junk certificate', { ...HS, x5c: ['MIIBattacker'] }, 'attacker-secret'],
  ]
  for (const [name, header, key] of cases) {
    it(`refuses ${name}`, async () => {
      expectTokenRejected(await asBearer(forge(valid(), { header, key })))
    })
  }
  it('refuses RS256 with the attacker public key embedded as jwk', async () => {
    const jwk = attacker.publicKey.export({ format: 'jwk' })
    expectTokenRejected(await asBearer(rs256({ alg: 'RS256', typ: 'JWT', jwk }, valid(), attacker.privateKey)))
  })
})

describe('signatures', () => {
  it('refuses a stripped signature (header.payload.)', async () => {
    const [h, p] = forge(valid()).split('.')
    expectTokenRejected(await asBearer(`${h}.${p}.`), 'Token is invalid')
  })
  it('refuses a token with only two segments', async () => {
    const [h, p] = forge(valid()).split('.')
    expectTokenRejected(await asCookie(`${h}.${p}`), 'Token is invalid')
  })
  it('refuses a signature with one character changed', async () => {
    const t = forge(valid())
    const i = t.length - 5
    const flipped = t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1)
    expectTokenRejected(await asBearer(flipped), 'Token is invalid')
  })
  it('a blacklisted refresh token stays refused when its signature padding bits are altered (base64url malleability)', async () => {
    const pair = await obtainPair(server, 'ada')
    expect((await send(server, '/api/token/blacklist/', { method: 'POST', body: { refresh: pair.refresh } })).status).toBeLessThan(500)
    // The last of 43 characters carries 4 signature bits and 2 unused bits: flipping the unused ones may decode
    // to the same signature, so the blacklist must key on the jti, not on the token text.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(pair.refresh.at(-1)!)
    const twin = pair.refresh.slice(0, -1) + alphabet[last ^ 1]
    const res = await send(server, '/api/token/refresh/', { method: 'POST', body: { refresh: twin } })
    expect(res.status).toBe(401)
    expect(res.json).toEqual(errorBody('token_not_valid'))
  })
  it('refuses a valid signature moved onto another payload', async () => {
    const sig = forge(valid()).split('.')[2]
    const [h, p] = forge({ ...valid(), user_id: ada.id + 1 }, { key: 'another-key-another-key-another-key!!' }).split('.')
    expectTokenRejected(await asBearer(`${h}.${p}.${sig}`), 'Token is invalid')
  })
  it('refuses a token signed with an attacker key', async () => {
    expectTokenRejected(await asBearer(forge(valid(), { key: 'attacker-secret-attacker-secret-32b' })), 'Token is invalid')
  })
  it('refuses crit naming an unknown extension (RFC 7515 §4.1.11), even with a valid signature', async () => {
    expectTokenRejected(await asBearer(forge(valid(), { header: { ...HS, crit: ['x-unknown'], 'x-unknown': 1 } })))
  })
  it('refuses crit that is not a list', async () => {
    expectTokenRejected(await asBearer(forge(valid(), { header: { ...HS, crit: 'exp' } })))
  })
})

describe('time claims', () => {
  const now = () => Math.floor(Date.now() / 1000)
  const bad: [string, () => unknown][] = [
    ['huge exp (1e20)', () => 1e20],
    ['exp beyond year 9999', () => 253402300800],
    ['negative exp', () => -1],
    ['float exp', () => now() + 300.5],
    ['string exp', () => String(now() + 300)],
    ['null exp', () => null],
    ['boolean exp', () => true],
    ['exp in the past', () => now() - 1],
  ]
  for (const [name, exp] of bad) {
    it(`refuses ${name}`, async () => {
      expectTokenRejected(await asBearer(forge({ ...valid(), exp: exp() })))
    })
  }
  it('refuses a missing exp', async () => {
    const { exp: _exp, ...rest } = valid()
    expectTokenRejected(await asBearer(forge(rest)), 'Token has no valid exp claim')
  })
  it('refuses an exponent exp that overflows to Infinity (raw JSON 1e400)', async () => {
    const raw = JSON.stringify(valid()).replace(/"exp":\d+/, '"exp":1e400')
    expectTokenRejected(await asBearer(signRaw(JSON.stringify(HS), raw)), 'Token has no valid exp claim')
  })
  it('refuses an exponent exp with a fraction (raw JSON 1.7000000005e9)', async () => {
    const raw = JSON.stringify(valid()).replace(/"exp":\d+/, '"exp":1.7000000005e9')
    expectTokenRejected(await asBearer(signRaw(JSON.stringify(HS), raw)), 'Token has no valid exp claim')
  })
  it('refuses nbf in the future', async () => {
    expectTokenRejected(await asBearer(forge({ ...valid(), nbf: now() + 3600 })), 'Token is not yet valid')
  })
  it('refuses a string nbf and a float iat', async () => {
    expectTokenRejected(await asBearer(forge({ ...valid(), nbf: 'yesterday' })), 'Token has no valid nbf claim')
    expectTokenRejected(await asBearer(forge({ ...valid(), iat: now() + 0.25 })), 'Token has no valid iat claim')
  })
})

describe('token types', () => {
  it('refuses a refresh token as an access token (Bearer and cookie)', async () => {
    const pair = await obtainPair(server, 'ada')
    expectTokenRejected(await asBearer(pair.refresh), 'Token has wrong type')
    expectTokenRejected(await asCookie(pair.refresh), 'Token has wrong type')
  })
  it('refuses an access token on the refresh endpoints and mints nothing', async () => {
    const session = await login(server, 'ada')
    const state = await snapshot(server)
    const cookie = await send(server, '/api/auth/refresh/', { method: 'POST', cookies: { refresh_token: session.access } })
    expect(cookie.status).toBe(401)
    expect(cookie.json).toEqual(errorBody('token_not_valid', 'Token has wrong type'))
    expect(setsTokenCookie(cookie, server.settings)).toBe(false)
    const bearer = await send(server, '/api/token/refresh/', { method: 'POST', body: { refresh: session.access } })
    expect(bearer.status).toBe(401)
    expect(bearer.json).toEqual(errorBody('token_not_valid', 'Token has wrong type'))
    expect(await snapshot(server)).toEqual(state)
  })
  it('refuses an access token on the blacklist endpoint', async () => {
    const pair = await obtainPair(server, 'ada')
    const res = await send(server, '/api/token/blacklist/', { method: 'POST', body: { refresh: pair.access } })
    expect(res.status).toBe(401)
    expect(res.json).toEqual(errorBody('token_not_valid', 'Token has wrong type'))
  })
  it('refuses an unknown token_type ("sliding") as access', async () => {
    expectTokenRejected(await asBearer(forge({ ...valid(), token_type: 'sliding' })), 'Token has wrong type')
  })
  it('refuses a token for a user that does not exist with user_not_found', async () => {
    const res = await asBearer(forge({ ...valid(), user_id: 987654 }))
    expect(res.status).toBe(401)
    expect(res.json).toEqual(errorBody('user_not_found', 'User not found'))
  })
  it('refuses user ids that are not positive integers', async () => {
    for (const userId of [0, -1, 1.5, '1 OR 1=1', '01', [ada.id], { id: ada.id }, null]) {
      expectTokenRejected(await asBearer(forge({ ...valid(), user_id: userId })))
    }
  })
  it('refuses a token without jti', async () => {
    const { jti: _jti, ...rest } = valid()
    expectTokenRejected(await asBearer(forge(rest)), 'Token has no id')
  })
})

describe('duplicate JSON keys (RFC 7519 §4: lexically last wins, consistently)', () => {
  it('uses the last token_type: refresh-after-access is a refresh token, refused as access', async () => {
    const fixed = `{"token_type":"access",${JSON.stringify(valid()).slice(1).replace('"token_type":"access"', '"token_type":"refresh"')}`
    expect(fixed.match(/token_type/g)).toHaveLength(2)
    expectTokenRejected(await asBearer(signRaw(JSON.stringify(HS), fixed)), 'Token has wrong type')
  })
  it('uses the last user_id: a real user first and a missing one last is user_not_found', async () => {
    const raw = `{"user_id":${ada.id},${JSON.stringify({ ...valid(), user_id: 987654 }).slice(1)}`
    const res = await asBearer(signRaw(JSON.stringify(HS), raw))
    expect(res.status).toBe(401)
    expect(res.json).toEqual(errorBody('user_not_found'))
  })
  it('uses the last alg: HS256 then none is refused', async () => {
    const token = signRaw('{"alg":"HS256","typ":"JWT","alg":"none"}', JSON.stringify(valid()))
    expectTokenRejected(await asBearer(token), 'Token is invalid')
  })
})

describe('encoding and shape', () => {
  const good = () => forge(valid()).split('.') as [string, string, string]
  const shapes: [string, () => string][] = [
    ['standard base64 characters (+ and /)', () => { const [h, p, s] = good(); return `${h}.${p}+/.${s}` }],
    ['base64 padding (=)', () => { const [h, p, s] = good(); return `${h}==.${p}.${s}` }],
    ['a character outside base64 (*)', () => { const [h, p, s] = good(); return `${h}.${p}*.${s}` }],
    ['four segments', () => `${good().join('.')}.AAAA`],
    ['whitespace inside', () => { const [h, p, s] = good(); return `${h}. ${p}.${s}` }],
    ['an empty header', () => { const [, p, s] = good(); return `.${p}.${s}` }],
    ['a single dot', () => '.'],
    ['plain text', () => 'not-a-token'],
    ['non-ASCII', () => { const [h, p, s] = good(); return `${h}.${p}é.${s}` }],
  ]
  for (const [name, make] of shapes) {
    it(`refuses ${name}`, async () => {
      expectTokenRejected(await asBearer(make()))
    })
  }
  const payloads: [string, () => string][] = [
    ['a non-JSON payload', () => 'hello world'],
    ['a truncated JSON payload', () => '{"token_type":"access","exp":'],
    ['an array payload', () => JSON.stringify([valid()])],
    ['a number payload', () => '12345'],
    ['a null payload', () => 'null'],
    ['a string payload', () => JSON.stringify(JSON.stringify(valid()))],
    ['a boolean payload', () => 'true'],
  ]
  for (const [name, payload] of payloads) {
    it(`refuses ${name} signed with the real key`, async () => {
      expectTokenRejected(await asBearer(signRaw(JSON.stringify(HS), payload())))
    })
  }
  it('refuses a non-JSON header signed with the real key', async () => {
    expectTokenRejected(await asBearer(signRaw('HS256', JSON.stringify(valid()))))
  })
  it('refuses a header that is an array', async () => {
    expectTokenRejected(await asBearer(signRaw('["HS256"]', JSON.stringify(valid()))))
  })
})

describe('oversize tokens', () => {
  it('refuses an 8 kB token signed with the real key (Bearer and cookie), without parsing it', async () => {
    const big = forge({ ...valid(), pad: 'x'.repeat(6000) })
    expect(big.length).toBeGreaterThan(8000)
    expectTokenRejected(await asBearer(big), 'Token is invalid')
    expectTokenRejected(await asCookie(big), 'Token is invalid')
  })
  it('refuses an 8 kB token in a JSON body with a field error, not a 5xx', async () => {
    const big = forge({ ...valid(), pad: 'x'.repeat(6000) })
    const res = await send(server, '/api/token/verify/', { method: 'POST', body: { token: big } })
    expect(res.status).toBe(400)
    expect(res.json).toEqual({ token: ['Ensure this field has no more than 4096 characters.'] })
  })
  it('answers a 1 MB Authorization header with 431 and closes', async () => {
    const raw = await sendRaw(server, `GET /api/auth/me/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${'a'.repeat(1 << 20)}\r\n\r\n`)
    expect(raw).toMatch(/^HTTP\/1\.1 431 /)
    expect(raw).not.toMatch(/set-cookie/i)
  })
  it('answers a 1 MB cookie header with 431', async () => {
    const raw = await sendRaw(server, `GET /api/auth/me/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: access_token=${'a'.repeat(1 << 20)}\r\n\r\n`)
    expect(raw).toMatch(/^HTTP\/1\.1 431 /)
  })
})

describe('the Bearer header', () => {
  it('never falls back to a valid cookie when the Bearer token is bad', async () => {
    const session = await login(server, 'ada')
    const res = await send(server, '/api/auth/me/', { headers: { authorization: 'Bearer garbage' }, cookies: { access_token: session.access } })
    expectTokenRejected(res, 'Token is invalid')
  })
  it('ignores a valid token in the query string (tokens never travel in URLs)', async () => {
    const token = forge(valid())
    for (const q of ['token', 'access_token', 'access', 'jwt']) {
      const res = await send(server, `/api/auth/me/?${q}=${token}`)
      expect(res.status).toBe(401)
      expect(res.json).toEqual(errorBody('not_authenticated'))
    }
  })
  it('refuses "Bearer" with three parts', async () => {
    const res = await send(server, '/api/auth/me/', { headers: { authorization: `Bearer ${forge(valid())} extra` } })
    expectTokenRejected(res, 'Authorization header must contain two space-delimited values')
  })
  it('refuses a bearer token on /api/token/verify/ for each spoiled shape without a 5xx', async () => {
    for (const token of ['a.b.c', forge(valid(), { header: { alg: 'none' } }), forge([1, 2]), forge(valid(), { key: 'x' })]) {
      const res = await send(server, '/api/token/verify/', { method: 'POST', body: { token } })
      expect(res.status).toBe(401)
      expect(res.json).toEqual(errorBody('token_not_valid'))
    }
  })
})

describe('audience and issuer when configured', () => {
  let strict: TestServer
  let userId: number
  const AUD = 'cookiejwt-hostile'
  const ISS = 'https://issuer.hostile.test'
  beforeAll(async () => {
    strict = await startServer({ audience: AUD, issuer: ISS })
    userId = (await strict.createUser('grace')).id
  })
  afterAll(async () => {
    await strict?.close()
  })
  const me = (token: string) => send(strict, '/api/auth/me/', { headers: { authorization: `Bearer ${token}` } })

  it('accepts the right aud and iss (positive control)', async () => {
    expect((await me(forge(claims(userId, 'access', { aud: AUD, iss: ISS })))).status).toBe(200)
  })
  const bad: [string, Record<string, unknown>][] = [
    ['no aud', { iss: ISS }],
    ['a wrong aud', { aud: 'another-service', iss: ISS }],
    ['an aud list without ours', { aud: ['a', 'b'], iss: ISS }],
    ['a look-alike aud', { aud: `${AUD} `, iss: ISS }],
    ['no iss', { aud: AUD }],
    ['a wrong iss', { aud: AUD, iss: 'https://evil.test' }],
    ['an iss with another case', { aud: AUD, iss: ISS.toUpperCase() }],
  ]
  for (const [name, extra] of bad) {
    it(`refuses ${name}`, async () => {
      const res = await me(forge(claims(userId, 'access', extra)))
      expect(res.status).toBe(401)
      expect(res.json).toEqual(errorBody('token_not_valid'))
    })
  }
  it('refuses a token of a server sharing the key but configured without aud/iss', async () => {
    const pair = await obtainPair(server, 'ada')
    const res = await me(pair.access)
    expect(res.status).toBe(401)
    expect(res.json).toEqual(errorBody('token_not_valid'))
  })
})

describe('state', () => {
  it('no forged token changed a user row or added a row anywhere', async () => {
    const after = await snapshot(server)
    // Logins made to obtain real tokens write last_login (updateLastLogin); no other column may have moved.
    const withoutLogin = (rows: Record<string, unknown>[]) => rows.map(({ last_login: _l, ...rest }) => rest)
    expect(withoutLogin(after.users as Record<string, unknown>[])).toEqual(withoutLogin(before.users as Record<string, unknown>[]))
  })
})
