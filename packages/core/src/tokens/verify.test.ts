import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { defineSettings } from '../settings.js'
import { issueAccessTokenFromRefresh, issueRotatedRefreshToken, issueTokenPair } from './issue.js'
import { verifyAccessToken, verifyRefreshToken, verifyToken } from './verify.js'

const KEY = 'Pt0t5s9GaC9iN9fv6J8HmZRG5yUpcIHAbuOao4KDSAueJtwj9mHrUF8f34RBeix8'
const settings = defineSettings({ signingKey: KEY })
const at = (iso: string) => new Date(iso)
const T0 = at('2024-01-01T00:00:00Z')
const t0 = T0.getTime() / 1000

const b64u = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
function forge(
  payload: unknown,
  header: unknown = { alg: 'HS256', typ: 'JWT' },
  key = KEY,
): string {
  const input = `${b64u(header)}.${b64u(payload)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}
const claims = (extra: Record<string, unknown> = {}) => ({
  token_type: 'access',
  exp: t0 + 300,
  iat: t0,
  jti: 'a'.repeat(32),
  user_id: 7,
  ...extra,
})
const rejects = (token: string, message: string | RegExp, type: 'access' | 'refresh' = 'access') =>
  expect(() => verifyToken(settings, token, type, { now: T0 })).toThrow(
    expect.objectContaining({ code: 'token_not_valid', message: expect.stringMatching(message) }),
  )

describe('issueTokenPair', () => {
  it("writes simplejwt's claim layout and header", () => {
    const { access, refresh } = issueTokenPair(settings, 7, { now: T0 })
    const [header, payload] = access.token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()))
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(Object.keys(payload)).toEqual(['token_type', 'exp', 'iat', 'jti', 'user_id'])
    expect(payload).toMatchObject({ token_type: 'access', exp: t0 + 300, iat: t0, user_id: 7 })
    expect(payload.jti).toMatch(/^[0-9a-f]{32}$/)
    expect(refresh.payload).toMatchObject({
      token_type: 'refresh',
      exp: t0 + 86400,
      iat: t0,
      user_id: 7,
    })
    expect(refresh.jti).not.toBe(access.jti)
    expect(access.expiresAt.toISOString()).toBe('2024-01-01T00:05:00.000Z')
  })

  it('adds aud and iss when set, and requires them on verify', () => {
    const s = defineSettings({
      signingKey: KEY,
      audience: 'api',
      issuer: 'https://auth.example.com',
    })
    const { access } = issueTokenPair(s, 7, { now: T0 })
    expect(verifyAccessToken(s, access.token, { now: T0 }).payload).toMatchObject({
      aud: 'api',
      iss: 'https://auth.example.com',
    })
    expect(() =>
      verifyAccessToken(settings, forge(claims({ aud: 'other' })), { now: T0 }),
    ).not.toThrow()
    expect(() =>
      verifyAccessToken(s, forge(claims({ aud: 'other', iss: 'https://auth.example.com' })), {
        now: T0,
      }),
    ).toThrow(expect.objectContaining({ code: 'token_not_valid' }))
    expect(() =>
      verifyAccessToken(s, forge(claims({ aud: 'api', iss: 'https://evil.example.com' })), {
        now: T0,
      }),
    ).toThrow(expect.objectContaining({ code: 'token_not_valid' }))
    expect(() => verifyAccessToken(s, forge(claims()), { now: T0 })).toThrow(
      expect.objectContaining({ code: 'token_not_valid' }),
    )
  })

  it('derives an access token from a refresh token, copying extra claims', () => {
    const { refresh } = issueTokenPair(settings, 7, { now: T0, claims: { sid: 'abc' } })
    const verified = verifyRefreshToken(settings, refresh.token, { now: T0 })
    const access = issueAccessTokenFromRefresh(settings, verified, {
      now: at('2024-01-01T01:00:00Z'),
    })
    expect(access.payload).toMatchObject({
      token_type: 'access',
      user_id: 7,
      sid: 'abc',
      iat: t0 + 3600,
    })
    const rotated = issueRotatedRefreshToken(settings, verified, {
      now: at('2024-01-01T01:00:00Z'),
    })
    expect(rotated.jti).not.toBe(verified.jti)
    expect(rotated.payload).toMatchObject({
      token_type: 'refresh',
      user_id: 7,
      sid: 'abc',
      exp: t0 + 3600 + 86400,
    })
  })
})

describe('verifyToken', () => {
  it('accepts a valid token and returns its claims', () => {
    const v = verifyAccessToken(settings, forge(claims()), { now: T0 })
    expect(v).toMatchObject({ type: 'access', userId: 7, jti: 'a'.repeat(32), exp: t0 + 300 })
  })

  it('rejects an expired access token with token_not_valid', () => {
    const { access } = issueTokenPair(settings, 7, { now: T0 })
    expect(() =>
      verifyAccessToken(settings, access.token, { now: at('2024-01-01T00:05:01Z') }),
    ).toThrow(expect.objectContaining({ code: 'token_not_valid', message: 'Token is expired' }))
  })

  it('honours the leeway', () => {
    const s = defineSettings({ signingKey: KEY, leeway: 10 })
    expect(() => verifyAccessToken(s, forge(claims({ exp: t0 - 5 })), { now: T0 })).not.toThrow()
    expect(() => verifyAccessToken(s, forge(claims({ exp: t0 - 10 })), { now: T0 })).toThrow()
  })

  it('rejects a not-yet-valid token', () =>
    rejects(forge(claims({ nbf: t0 + 60 })), 'Token is not yet valid'))
  it('rejects the wrong type both ways', () => {
    rejects(forge(claims({ token_type: 'refresh' })), 'Token has wrong type')
    rejects(forge(claims()), 'Token has wrong type', 'refresh')
  })
  it('rejects a bad signature', () =>
    rejects(forge(claims(), undefined, 'x'.repeat(64)), 'Token is invalid'))
  it('rejects alg none in any casing', () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      rejects(`${b64u({ alg, typ: 'JWT' })}.${b64u(claims())}.`, 'Token is invalid')
      rejects(`${b64u({ alg, typ: 'JWT' })}.${b64u(claims())}`, 'Token is invalid')
    }
  })
  it('rejects a signature spelled non-canonically (unused base64url bits set)', () => {
    const token = forge(claims())
    expect(() => verifyAccessToken(settings, token, { now: T0 })).not.toThrow()
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twin = token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) ^ 1]
    // Same signature bytes, different text: still refused.
    expect(
      Buffer.from(twin.split('.')[2]!, 'base64url').equals(
        Buffer.from(token.split('.')[2]!, 'base64url'),
      ),
    ).toBe(true)
    rejects(twin, 'Token is invalid')
  })
  it('rejects another algorithm', () => {
    const input = `${b64u({ alg: 'HS512', typ: 'JWT' })}.${b64u(claims())}`
    rejects(
      `${input}.${createHmac('sha512', KEY).update(input).digest('base64url')}`,
      'Token is invalid',
    )
  })
  it.each([
    ['a float', t0 + 300.5],
    ['a string', String(t0 + 300)],
    ['negative', -1],
    ['huge', 1e20],
    ['null', null],
  ])('rejects an exp that is %s', (_label, exp) => rejects(forge(claims({ exp })), /exp/))
  it('rejects a missing exp, jti or user id', () => {
    rejects(forge(claims({ exp: undefined })), /exp/)
    rejects(forge(claims({ jti: undefined })), 'Token has no id')
    rejects(forge(claims({ user_id: undefined })), /user identification/)
    rejects(forge(claims({ user_id: 'x' })), /user identification/)
  })
  it('rejects malformed tokens', () => {
    for (const bad of [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      '!!!.@@@.###',
      `${b64u('not json')}.${b64u(claims())}.sig`,
      'x'.repeat(5000),
    ]) {
      rejects(bad, /Token/)
    }
    rejects(forge('[1,2,3]'), /Token/)
    rejects(forge('null'), /Token/)
    rejects(forge('"string"'), /Token/)
  })

  // A token that verified once is remembered by its text: what depends on the clock or the caller is still checked.
  describe('a token seen again', () => {
    it('is the same frozen result, and still expires', () => {
      const token = forge(claims({ jti: 'c'.repeat(32) }))
      const first = verifyAccessToken(settings, token, { now: T0 })
      expect(verifyAccessToken(settings, token, { now: T0 })).toBe(first)
      expect(Object.isFrozen(first) && Object.isFrozen(first.payload)).toBe(true)
      expect(() => verifyAccessToken(settings, token, { now: at('2024-01-01T00:05:00Z') })).toThrow(
        expect.objectContaining({ code: 'token_not_valid', message: 'Token is expired' }),
      )
    })
    it('is still refused before its nbf, and as the wrong type', () => {
      const token = forge(claims({ jti: 'd'.repeat(32), nbf: t0 + 60 }))
      expect(verifyAccessToken(settings, token, { now: at('2024-01-01T00:02:00Z') }).type).toBe(
        'access',
      )
      rejects(token, 'Token is not yet valid')
      expect(() =>
        verifyRefreshToken(settings, token, { now: at('2024-01-01T00:02:00Z') }),
      ).toThrow(expect.objectContaining({ message: 'Token has wrong type' }))
    })
    it('is verified afresh under other settings (a new key)', () => {
      const token = forge(claims({ jti: 'e'.repeat(32) }))
      verifyAccessToken(settings, token, { now: T0 })
      const rotated = defineSettings({ signingKey: 'n'.repeat(64) })
      expect(() => verifyAccessToken(rotated, token, { now: T0 })).toThrow(
        expect.objectContaining({ message: 'Token is invalid' }),
      )
    })
  })
})
