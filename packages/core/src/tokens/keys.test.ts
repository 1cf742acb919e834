import { createHmac, createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { defineSettings, type AuthSettingsInput } from '../settings.js'
import { getPublicJwks, getTokenCodec } from './codec.js'
import { issueTokenPair } from './issue.js'
import { generateSigningKey, jwkThumbprint, normalizeSigningKeys, type SigningKey } from './keys.js'
import { verifyAccessToken } from './verify.js'

const HMAC = 'unit-test-hmac-key-0123456789abcdefghijklmnopqrstuvwxyz'
const T0 = new Date('2024-01-01T00:00:00Z')
const ed = generateSigningKey('EdDSA', 'ed-1')
const es = generateSigningKey('ES256', 'es-1')
const rs = generateSigningKey('RS256', 'rs-1')
const hs = generateSigningKey('HS256', 'hs-1')

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const header = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>
const payloadOf = (token: string) => token.split('.')[1]!
const active = (key: SigningKey, on = true): SigningKey => ({ ...key, active: on })
const set = (...keys: SigningKey[]) => defineSettings({ signingKeys: keys } as AuthSettingsInput)
/** A token signed with HMAC `secret` and an arbitrary header (what an attacker can build). */
function hmacToken(
  head: Record<string, unknown>,
  payload: string,
  secret: string | Buffer,
): string {
  const input = `${b64(head)}.${payload}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}
const rejects = (settings: ReturnType<typeof set>, token: string) =>
  expect(() => verifyAccessToken(settings, token, { now: T0 })).toThrow(
    expect.objectContaining({ code: 'token_not_valid' }),
  )

describe('asymmetric algorithms', () => {
  for (const key of [ed, es, rs]) {
    it(`signs and verifies ${key.algorithm} with a single PEM key, kid = RFC 7638 thumbprint`, () => {
      const s = defineSettings({ signingKey: key.key!, algorithm: key.algorithm })
      const { access } = issueTokenPair(s, 7, { now: T0 })
      expect(header(access.token)).toEqual({
        alg: key.algorithm,
        typ: 'JWT',
        kid: jwkThumbprint(key.publicKey!),
      })
      expect(verifyAccessToken(s, access.token, { now: T0 }).userId).toBe(7)
      // Verifying needs only the public key.
      const verifier = defineSettings({
        signingKey: key.key!,
        verifyingKey: key.publicKey!,
        algorithm: key.algorithm,
      })
      expect(verifyAccessToken(verifier, access.token, { now: T0 }).userId).toBe(7)
    })
  }

  it('keeps the default HS256 header exactly {"alg":"HS256","typ":"JWT"}', () => {
    const { access } = issueTokenPair(defineSettings({ signingKey: HMAC }), 7, { now: T0 })
    expect(header(access.token)).toEqual({ alg: 'HS256', typ: 'JWT' })
  })

  it('refuses key material that does not fit the algorithm', () => {
    expect(() => defineSettings({ signingKey: ed.key!, algorithm: 'ES256' })).toThrow(
      /"signingKey" is ES256, which needs a P-256 EC key/,
    )
    expect(() => defineSettings({ signingKey: 'not a pem', algorithm: 'EdDSA' })).toThrow(
      /"signingKey" is not a PEM private key/,
    )
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
    expect(() => defineSettings({ signingKey: weak, algorithm: 'RS256' })).toThrow(
      /at least 3072 bits/,
    )
    expect(() =>
      defineSettings({
        signingKey: ed.key!,
        verifyingKey: generateSigningKey('EdDSA').publicKey!,
        algorithm: 'EdDSA',
      }),
    ).toThrow(/public key does not belong to the private key/)
    expect(() => defineSettings({ signingKey: 'short', algorithm: 'HS256' })).toThrow(
      /at least 32 bytes/,
    )
  })
})

describe('key sets and rotation', () => {
  it('signs with the active key and its kid, and still verifies tokens of the retired key', () => {
    const before = set(active(ed))
    const old = issueTokenPair(before, 7, { now: T0 }).access.token
    expect(header(old)).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'ed-1' })
    const after = set(active(ed, false), active(es))
    const fresh = issueTokenPair(after, 8, { now: T0 }).access.token
    expect(header(fresh)).toMatchObject({ alg: 'ES256', kid: 'es-1' })
    expect(verifyAccessToken(after, old, { now: T0 }).userId).toBe(7)
    expect(verifyAccessToken(after, fresh, { now: T0 }).userId).toBe(8)
    // Once the old key is dropped, its tokens stop verifying.
    rejects(set(active(es)), old)
  })

  it('verifies kid-less tokens with signingKey when it is kept beside the key set, and refuses them otherwise', () => {
    const legacy = issueTokenPair(defineSettings({ signingKey: HMAC }), 7, { now: T0 }).access.token
    const both = defineSettings({ signingKey: HMAC, signingKeys: [active(ed)] })
    expect(verifyAccessToken(both, legacy, { now: T0 }).userId).toBe(7)
    rejects(set(active(ed)), legacy)
  })

  it('answers an unknown kid, and kid path/SQL/prototype tricks, with token_not_valid', () => {
    const s = set(active(hs))
    const body = payloadOf(issueTokenPair(s, 7, { now: T0 }).access.token)
    for (const kid of [
      'hs-2',
      '../../../../etc/passwd',
      "hs-1' OR '1'='1",
      '__proto__',
      'constructor',
      'HS-1',
      'hs-1 ',
      7,
      null,
      ['hs-1'],
    ]) {
      // Signed with the real secret: only the kid is wrong, so only the exact lookup can refuse it.
      rejects(s, hmacToken({ alg: 'HS256', typ: 'JWT', kid }, body, hs.key!))
    }
    expect(
      verifyAccessToken(s, hmacToken({ alg: 'HS256', typ: 'JWT', kid: 'hs-1' }, body, hs.key!), {
        now: T0,
      }).userId,
    ).toBe(7)
  })

  it('refuses jku, x5u, jwk and x5c headers even on a correctly signed token', () => {
    const s = set(active(hs))
    const body = payloadOf(issueTokenPair(s, 7, { now: T0 }).access.token)
    const jwk = createPublicKey(ed.publicKey!).export({ format: 'jwk' })
    for (const extra of [
      { jku: 'https://evil.example/jwks.json' },
      { x5u: 'https://evil.example/cert.pem' },
      { jwk },
      { x5c: ['MIIB'] },
    ]) {
      rejects(s, hmacToken({ alg: 'HS256', typ: 'JWT', kid: 'hs-1', ...extra }, body, hs.key!))
    }
  })

  it("refuses HS256 signed with an RSA/EdDSA public key (algorithm confusion) and any alg other than the key's", () => {
    const s = set(active(rs), active(ed, false))
    const body = payloadOf(issueTokenPair(s, 7, { now: T0 }).access.token)
    for (const key of [rs, ed]) {
      rejects(s, hmacToken({ alg: 'HS256', typ: 'JWT', kid: key.kid }, body, key.publicKey!))
      rejects(
        s,
        hmacToken(
          { alg: 'HS256', typ: 'JWT', kid: key.kid },
          body,
          createPublicKey(key.publicKey!).export({ format: 'der', type: 'spki' }),
        ),
      )
    }
    // EdDSA signature presented as the RS256 key's token.
    const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid: 'rs-1' })}.${body}`
    rejects(s, `${input}.${cryptoSign(null, Buffer.from(input), ed.key!).toString('base64url')}`)
    rejects(s, `${b64({ alg: 'none', typ: 'JWT', kid: 'rs-1' })}.${body}.`)
  })

  it('validates the key set: unique kids, exactly one active signing key, no public key for HMAC', () => {
    expect(() => normalizeSigningKeys([active(ed), active(ed, false)])).toThrow(/repeats "ed-1"/)
    expect(() => normalizeSigningKeys([active(ed), active(es)])).toThrow(
      /exactly one key with "active": true \(found 2\)/,
    )
    expect(() => normalizeSigningKeys([active(ed, false)])).toThrow(/found 0/)
    expect(() => normalizeSigningKeys([{ ...active(ed), key: null }])).toThrow(
      /active key needs its private key/,
    )
    expect(() => normalizeSigningKeys([{ ...active(hs), publicKey: ed.publicKey }])).toThrow(
      /HMAC key has no public key/,
    )
    expect(() => normalizeSigningKeys([{ ...active(hs), kid: 'a/b' }])).toThrow(
      /signingKeys\[0\]\.kid/,
    )
    expect(() => normalizeSigningKeys([{ ...active(hs), key: 'x'.repeat(31) }])).toThrow(
      /at least 32 bytes/,
    )
    expect(() => normalizeSigningKeys([{ ...active(hs), extra: 1 }])).toThrow(
      /unknown setting "signingKeys\[0\]\.extra"/,
    )
    // A retired key may be public-only.
    expect(normalizeSigningKeys([active(es), { ...ed, key: null }])[1]).toMatchObject({
      kid: 'ed-1',
      key: null,
    })
  })

  it('compiles one verifier per settings object (the hot path is a WeakMap hit)', () => {
    const s = set(active(hs))
    expect(getTokenCodec(s)).toBe(getTokenCodec(s))
  })
})

describe('JWKS', () => {
  it('publishes only public members of asymmetric keys, never HMAC keys', () => {
    const jwks = getPublicJwks(
      set(active(ed), active(es, false), active(rs, false), active(hs, false)),
    )
    expect(jwks.map((k) => k.kid)).toEqual(['ed-1', 'es-1', 'rs-1'])
    expect(jwks.map((k) => [k.kty, k.alg, k.use])).toEqual([
      ['OKP', 'EdDSA', 'sig'],
      ['EC', 'ES256', 'sig'],
      ['RSA', 'RS256', 'sig'],
    ])
    for (const jwk of jwks)
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
        expect(jwk).not.toHaveProperty(secret)
    expect(JSON.stringify(jwks)).not.toContain(hs.key!)
  })

  it('is empty for HMAC-only settings', () => {
    expect(getPublicJwks(defineSettings({ signingKey: HMAC }))).toEqual([])
    expect(getPublicJwks(set(active(hs)))).toEqual([])
  })

  it('lists a single asymmetric key under its thumbprint', () => {
    expect(getPublicJwks(defineSettings({ signingKey: ed.key!, algorithm: 'EdDSA' }))).toEqual([
      expect.objectContaining({ kid: jwkThumbprint(ed.publicKey!), kty: 'OKP', crv: 'Ed25519' }),
    ])
  })
})
