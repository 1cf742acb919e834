import { describe, expect, it } from 'vitest'
import { defineSettings, DEFAULT_SETTINGS } from './settings.js'
import { ImproperlyConfigured } from './errors.js'

const KEY = 'k'.repeat(64)

describe('defineSettings', () => {
  it('fills in the contract defaults', () => {
    const s = defineSettings({ signingKey: KEY })
    expect(s.accessTokenLifetime).toBe(300)
    expect(s.refreshTokenLifetime).toBe(86400)
    expect(s.algorithm).toBe('HS256')
    expect(s.rotateRefreshTokens).toBe(true)
    expect(s.blacklistAfterRotation).toBe(true)
    expect(s.authCookie).toMatchObject({
      name: 'access_token',
      path: '/',
      domain: null,
      secure: false,
      httpOnly: true,
      sameSite: 'Lax',
    })
    expect(s.refreshCookie.path).toBe('/api/auth/')
    expect(s.csrf.cookieName).toBe('csrftoken')
    expect(s.csrf.cookieAge).toBe(31449600)
    expect(s.cors.allowedOrigins).toEqual(['http://localhost:3000', 'http://127.0.0.1:3000'])
    expect(s.csrf.trustedOrigins).toEqual(s.cors.allowedOrigins)
    expect(s.returnTokensInBody).toBe(false)
  })

  it('converts duration strings to seconds', () => {
    const s = defineSettings({
      signingKey: KEY,
      accessTokenLifetime: '10m',
      refreshTokenLifetime: '2d',
      leeway: 5,
    })
    expect(s.accessTokenLifetime).toBe(600)
    expect(s.refreshTokenLifetime).toBe(172800)
    expect(s.leeway).toBe(5)
  })

  it('freezes the result', () => {
    const s = defineSettings({ signingKey: KEY })
    expect(Object.isFrozen(s)).toBe(true)
    expect(Object.isFrozen(s.authCookie)).toBe(true)
  })

  it('requires a signing key', () => {
    expect(() => defineSettings({})).toThrow(/"signingKey" is required/)
  })

  it('refuses an HMAC key shorter than 32 bytes (RFC 7518 §3.2)', () => {
    expect(() => defineSettings({ signingKey: 'x'.repeat(31) })).toThrow(
      /signingKey.*at least 32 bytes/,
    )
    expect(() => defineSettings({ signingKey: 'x'.repeat(32) })).not.toThrow()
  })

  it.each([
    [{ accessTokenLifetime: '5 minutes' }, /accessTokenLifetime/],
    [{ accessTokenLifetime: -1 }, /accessTokenLifetime/],
    [{ accessTokenLifetime: 0 }, /accessTokenLifetime/],
    [{ algorithm: 'none' }, /algorithm/],
    [{ authCookie: { sameSite: 'None' } }, /authCookie.sameSite.*Secure/],
    [{ authCookie: { path: 'api' } }, /authCookie.path/],
    [{ authCookie: { name: 'bad name' } }, /authCookie.name/],
    [{ cors: { allowedOrigins: ['*'] } }, /cors.allowedOrigins.*"\*"/],
    [{ cors: { allowedOrigins: ['localhost:3000'] } }, /cors.allowedOrigins/],
    [{ csrf: { trustedOrigins: ['example.com'] } }, /csrf.trustedOrigins/],
    [{ rotateRefreshTokens: 'yes' }, /rotateRefreshTokens/],
    [{ shutdownTimeout: 0 }, /"shutdownTimeout" must be greater than zero/],
    [{ shutdownTimeout: '2h' }, /"shutdownTimeout" must be at most 3600 seconds/],
    [{ refreshCookie: { name: 'access_token' } }, /must differ/],
    [{ ACCESS_TOKEN_LIFETIME: 300 }, /use "accessTokenLifetime"/],
    [{ accesTokenLifetime: 300 }, /unknown setting "accesTokenLifetime"/],
    [{ authCookie: { sameSitee: 'Lax' } }, /unknown setting "authCookie.sameSitee"/],
  ])('names the bad key in the error for %j', (input, message) => {
    expect(() => defineSettings({ signingKey: KEY, ...(input as object) })).toThrow(message)
  })

  it('accepts SameSite=None when the cookie is Secure', () => {
    const s = defineSettings({ signingKey: KEY, authCookie: { sameSite: 'None', secure: true } })
    expect(s.authCookie.sameSite).toBe('None')
  })

  it('keeps one defaults table', () => {
    expect(DEFAULT_SETTINGS.accessTokenLifetime).toBe(300)
  })

  it('takes trustProxy as true, false or a number of proxies (0 is false), and refuses anything else', () => {
    const trust = (trustProxy: unknown) =>
      defineSettings({ signingKey: KEY, trustProxy: trustProxy as boolean }).trustProxy
    expect(defineSettings({ signingKey: KEY }).trustProxy).toBe(false)
    expect([trust(true), trust(false), trust(0), trust(1), trust(3)]).toEqual([
      true,
      false,
      false,
      1,
      3,
    ])
    for (const [bad, shown] of [
      [-1, '-1'],
      [1.5, '1.5'],
      [Number.NaN, 'NaN'],
      [Infinity, 'Infinity'],
      ['2', '"2"'],
      ['true', '"true"'],
      [null, 'null'],
    ] as const) {
      expect(() => trust(bad)).toThrow(
        new ImproperlyConfigured(
          `"trustProxy" must be true, false or the number of proxies in front of the server (got ${shown})`,
        ),
      )
    }
    expect(() => trust('1')).toThrow(ImproperlyConfigured)
  })

  it('waits 10 s for connections on shutdown unless told otherwise, and reads durations', () => {
    expect(defineSettings({ signingKey: KEY }).shutdownTimeout).toBe(10)
    expect(defineSettings({ signingKey: KEY, shutdownTimeout: '1m' }).shutdownTimeout).toBe(60)
  })
})
