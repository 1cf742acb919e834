import { describe, expect, it } from 'vitest'
import {
  MAX_COOKIE_BYTES,
  serializeAccessCookie,
  serializeClearedAuthCookies,
  serializeClearedLegacyCookies,
  serializeCsrfCookie,
  serializeRefreshCookie,
} from './cookies.js'
import { defineSettings } from './settings.js'

const KEY = 'cookies-test-key-0123456789abcdefghijklmnopqrstuvwxyz'

describe('cookie prefixes', () => {
  it('__Host- prefixes both JWT cookies and forces Secure, Path=/ and no Domain', () => {
    const s = defineSettings({ signingKey: KEY, cookiePrefix: '__Host-' })
    expect(s.authCookie).toMatchObject({
      name: '__Host-access_token',
      secure: true,
      path: '/',
      domain: null,
    })
    expect(s.refreshCookie).toMatchObject({
      name: '__Host-refresh_token',
      secure: true,
      path: '/',
      domain: null,
    })
    expect(serializeRefreshCookie(s, 'a.b.c')).toBe(
      '__Host-refresh_token=a.b.c; Max-Age=86400; Path=/; HttpOnly; Secure; SameSite=Lax',
    )
    expect(serializeClearedAuthCookies(s)).toEqual([
      '__Host-access_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
      '__Host-refresh_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
    ])
  })

  it('__Secure- keeps the refresh cookie path-scoped', () => {
    const s = defineSettings({ signingKey: KEY, cookiePrefix: '__Secure-' })
    expect(s.refreshCookie).toMatchObject({
      name: '__Secure-refresh_token',
      secure: true,
      path: '/api/auth/',
    })
  })

  it('refuses settings that contradict a prefix instead of changing them silently', () => {
    expect(() =>
      defineSettings({
        signingKey: KEY,
        cookiePrefix: '__Host-',
        refreshCookie: { path: '/api/auth/' },
      }),
    ).toThrow(/"cookiePrefix" is __Host- so "refreshCookie.path" must be '\/'/)
    expect(() =>
      defineSettings({
        signingKey: KEY,
        cookiePrefix: '__Host-',
        authCookie: { domain: 'example.com' },
      }),
    ).toThrow(/"authCookie.domain" must be null/)
    expect(() =>
      defineSettings({ signingKey: KEY, cookiePrefix: '__Secure-', authCookie: { secure: false } }),
    ).toThrow(/"authCookie.secure" cannot be false/)
    expect(() => defineSettings({ signingKey: KEY, authCookie: { name: '__Host-x' } })).toThrow(
      /"authCookie.secure" must be true/,
    )
    expect(() =>
      defineSettings({
        signingKey: KEY,
        authCookie: { name: '__Host-x', secure: true, domain: 'a.example' },
      }),
    ).toThrow(/__Host-/)
    expect(() => defineSettings({ signingKey: KEY, cookiePrefix: '__Strange-' as never })).toThrow(
      /"cookiePrefix"/,
    )
  })
})

describe('Partitioned, SameSite=None and size', () => {
  it('writes Partitioned when asked, and only with Secure', () => {
    const s = defineSettings({
      signingKey: KEY,
      authCookie: { partitioned: true, secure: true, sameSite: 'None' },
      csrf: { cookiePartitioned: true, cookieSecure: true },
    })
    expect(serializeAccessCookie(s, 'a.b.c')).toBe(
      'access_token=a.b.c; Max-Age=300; Path=/; HttpOnly; Secure; Partitioned; SameSite=None',
    )
    expect(serializeCsrfCookie(s, 'x'.repeat(32))).toContain('; Secure; Partitioned;')
    expect(() => defineSettings({ signingKey: KEY, authCookie: { partitioned: true } })).toThrow(
      /"authCookie.partitioned" is true but the cookie is not Secure/,
    )
    expect(() => defineSettings({ signingKey: KEY, csrf: { cookiePartitioned: true } })).toThrow(
      /csrf.cookiePartitioned/,
    )
  })

  it('refuses SameSite=None without Secure', () => {
    expect(() => defineSettings({ signingKey: KEY, refreshCookie: { sameSite: 'None' } })).toThrow(
      /"refreshCookie.sameSite" is 'None' but the cookie is not Secure/,
    )
  })

  it('throws at issue time for a cookie over 4 kB instead of letting the browser drop it', () => {
    const s = defineSettings({ signingKey: KEY })
    const fits = 'a'.repeat(MAX_COOKIE_BYTES - 100)
    expect(serializeAccessCookie(s, fits).length).toBeLessThanOrEqual(MAX_COOKIE_BYTES)
    expect(() => serializeAccessCookie(s, 'a'.repeat(MAX_COOKIE_BYTES))).toThrow(
      /the access_token cookie would be \d+ bytes; browsers drop cookies over 4096/,
    )
    expect(() => serializeRefreshCookie(s, 'a'.repeat(MAX_COOKIE_BYTES))).toThrow(
      /refresh_token cookie/,
    )
  })
})

describe('legacy cookies', () => {
  it('clears each legacy cookie with its own name, Path and Domain', () => {
    const s = defineSettings({
      signingKey: KEY,
      legacyCookies: [
        { name: 'access_token', path: '/api/', domain: null },
        { name: 'refresh_token', path: '/api/auth/', domain: '.example.com' },
        { name: 'jwt', path: '/', domain: null },
      ],
    })
    expect(serializeClearedLegacyCookies(s)).toEqual([
      'access_token=; Max-Age=0; Path=/api/; HttpOnly',
      'refresh_token=; Max-Age=0; Domain=.example.com; Path=/api/auth/; HttpOnly',
      'jwt=; Max-Age=0; Path=/; HttpOnly',
    ])
  })

  it('refuses a legacy entry equal to a current cookie (it would clear the new session)', () => {
    expect(() =>
      defineSettings({
        signingKey: KEY,
        legacyCookies: [{ name: 'refresh_token', path: '/api/auth/', domain: null }],
      }),
    ).toThrow(/"legacyCookies" lists the current refresh_token cookie/)
    expect(() =>
      defineSettings({
        signingKey: KEY,
        legacyCookies: [{ name: 'x', path: '/', domain: null, secure: true } as never],
      }),
    ).toThrow(/unknown setting "legacyCookies\[0\]\.secure"/)
  })
})
