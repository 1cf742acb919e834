import { describe, expect, it } from 'vitest'
import {
  serializeAccessCookie,
  serializeClearedAuthCookies,
  serializeCsrfCookie,
  serializeRefreshCookie,
} from './cookies.js'
import { defineSettings } from './settings.js'

const settings = defineSettings({ signingKey: 'k'.repeat(64) })

describe('auth cookies', () => {
  it('sets the access cookie with the contract attributes', () => {
    expect(serializeAccessCookie(settings, 'a.b.c')).toBe(
      'access_token=a.b.c; Max-Age=300; Path=/; HttpOnly; SameSite=Lax',
    )
  })
  it('scopes the refresh cookie to the auth endpoints', () => {
    expect(serializeRefreshCookie(settings, 'a.b.c')).toBe(
      'refresh_token=a.b.c; Max-Age=86400; Path=/api/auth/; HttpOnly; SameSite=Lax',
    )
  })
  it('clears both with Max-Age=0 and the same Path', () => {
    expect(serializeClearedAuthCookies(settings)).toEqual([
      'access_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax',
      'refresh_token=; Max-Age=0; Path=/api/auth/; HttpOnly; SameSite=Lax',
    ])
  })
  it('leaves the CSRF cookie readable by JavaScript', () => {
    expect(serializeCsrfCookie(settings, 'x'.repeat(32))).toBe(
      `csrftoken=${'x'.repeat(32)}; Max-Age=31449600; Path=/; SameSite=Lax`,
    )
  })
  it('adds Secure and Domain when configured', () => {
    const s = defineSettings({
      signingKey: 'k'.repeat(64),
      authCookie: { secure: true, domain: 'example.com', sameSite: 'Strict' },
    })
    expect(serializeAccessCookie(s, 't')).toBe(
      'access_token=t; Max-Age=300; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Strict',
    )
  })
  it('refuses to issue a cookie browsers would drop (over 4 kB)', () => {
    expect(() => serializeAccessCookie(settings, 'x'.repeat(5000))).toThrow(/4096/)
  })
})
