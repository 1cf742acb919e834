import { describe, expect, it } from 'vitest'
import { serializeClearedMfaCookie, serializeMfaCookie } from './cookies.js'
import { defineSettings } from './settings.js'

const KEY = 'k'.repeat(32)

describe('the mfa cookie', () => {
  it('is HttpOnly, sent only to the second login step, and lives mfa.tokenLifetime', () => {
    const settings = defineSettings({ signingKey: KEY })
    expect(serializeMfaCookie(settings, 'tok')).toBe(
      'mfa_token=tok; Max-Age=300; Path=/api/auth/login/mfa/; HttpOnly; SameSite=Lax',
    )
    expect(serializeClearedMfaCookie(settings)).toBe(
      'mfa_token=; Max-Age=0; Path=/api/auth/login/mfa/; HttpOnly; SameSite=Lax',
    )
  })

  it('follows the access cookie: Secure, SameSite and Domain, even when that one is not HttpOnly', () => {
    const settings = defineSettings({
      signingKey: KEY,
      mfa: { tokenLifetime: '2m' },
      authCookie: { secure: true, sameSite: 'Strict', domain: 'example.com', httpOnly: false },
    })
    expect(serializeMfaCookie(settings, 'tok')).toBe(
      'mfa_token=tok; Max-Age=120; Domain=example.com; Path=/api/auth/login/mfa/; HttpOnly; Secure; SameSite=Strict',
    )
  })

  it('carries the cookie prefix: __Host- forces Path=/, __Secure- keeps the scoped path', () => {
    const host = defineSettings({ signingKey: KEY, cookiePrefix: '__Host-' })
    expect(serializeMfaCookie(host, 'tok')).toBe(
      '__Host-mfa_token=tok; Max-Age=300; Path=/; HttpOnly; Secure; SameSite=Lax',
    )
    const secure = defineSettings({ signingKey: KEY, cookiePrefix: '__Secure-' })
    expect(serializeMfaCookie(secure, 'tok')).toBe(
      '__Secure-mfa_token=tok; Max-Age=300; Path=/api/auth/login/mfa/; HttpOnly; Secure; SameSite=Lax',
    )
  })
})
