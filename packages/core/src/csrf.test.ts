import { describe, expect, it } from 'vitest'
import {
  checkCsrfToken,
  CSRF_REASONS,
  csrfSecretFromCookie,
  generateCsrfSecret,
  isTrustedOrigin,
  maskCsrfSecret,
  unmaskCsrfToken,
} from './csrf.js'

describe('Django-compatible CSRF tokens', () => {
  it('generates 32-character alphanumeric secrets', () => {
    const secret = generateCsrfSecret()
    expect(secret).toMatch(/^[a-zA-Z0-9]{32}$/)
    expect(generateCsrfSecret()).not.toBe(secret)
  })

  it('masks to 64 characters that differ every time and unmask to the secret', () => {
    const secret = generateCsrfSecret()
    const a = maskCsrfSecret(secret)
    const b = maskCsrfSecret(secret)
    expect(a).toMatch(/^[a-zA-Z0-9]{64}$/)
    expect(a).not.toBe(b)
    expect(unmaskCsrfToken(a)).toBe(secret)
    expect(unmaskCsrfToken(b)).toBe(secret)
  })

  it("unmasks a token masked by Django's algorithm (vector computed with django.middleware.csrf._mask_cipher_secret)", () => {
    // mask 'a'*32 shifts each char by 0 → the cipher equals the secret.
    const secret = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'
    expect(unmaskCsrfToken('a'.repeat(32) + secret)).toBe(secret)
    // mask 'b'*32 shifts by one place in the alphabet: 'A' → 'B', '5' → '6', '9' → 'a' (wraps).
    expect(unmaskCsrfToken('b'.repeat(32) + 'BCDEFGHIJKLMNOPQRSTUVWXYZ0123456')).toBe(secret)
    expect(unmaskCsrfToken('b'.repeat(32) + 'a'.repeat(32))).toBe('9'.repeat(32))
  })

  it('accepts the header as the unmasked secret or any masking of it', () => {
    const secret = generateCsrfSecret()
    expect(checkCsrfToken(secret, secret)).toBeNull()
    expect(checkCsrfToken(secret, maskCsrfSecret(secret))).toBeNull()
    // Older Django wrote a masked 64-char cookie.
    expect(checkCsrfToken(maskCsrfSecret(secret), maskCsrfSecret(secret))).toBeNull()
  })

  it("refuses a missing cookie, a missing token, a wrong token, and another secret's token with Django's reasons", () => {
    const secret = generateCsrfSecret()
    expect(checkCsrfToken(undefined, secret)).toBe(CSRF_REASONS.noCookie)
    expect(checkCsrfToken('short', secret)).toBe(CSRF_REASONS.noCookie)
    expect(checkCsrfToken(secret, undefined)).toBe(CSRF_REASONS.noToken)
    expect(checkCsrfToken(secret, '')).toBe(CSRF_REASONS.noToken)
    expect(checkCsrfToken(secret, 'x'.repeat(10))).toBe(CSRF_REASONS.badLength)
    expect(checkCsrfToken(secret, '!'.repeat(32))).toBe(CSRF_REASONS.badChars)
    expect(checkCsrfToken(secret, generateCsrfSecret())).toBe(CSRF_REASONS.badToken)
    expect(checkCsrfToken(secret, maskCsrfSecret(generateCsrfSecret()))).toBe(CSRF_REASONS.badToken)
  })

  it('reads the secret from a cookie value, or null when malformed', () => {
    const secret = generateCsrfSecret()
    expect(csrfSecretFromCookie(secret)).toBe(secret)
    expect(csrfSecretFromCookie(maskCsrfSecret(secret))).toBe(secret)
    expect(csrfSecretFromCookie('x')).toBeNull()
    expect(csrfSecretFromCookie(undefined)).toBeNull()
  })

  it('trusts only the own origin and exact trusted origins, never null or look-alikes', () => {
    const trusted = ['http://localhost:3000']
    expect(isTrustedOrigin('http://127.0.0.1:8000', 'http://127.0.0.1:8000', trusted)).toBe(true)
    expect(isTrustedOrigin('http://localhost:3000', 'http://127.0.0.1:8000', trusted)).toBe(true)
    expect(isTrustedOrigin('null', 'http://127.0.0.1:8000', trusted)).toBe(false)
    expect(
      isTrustedOrigin('http://localhost:3000.evil.com', 'http://127.0.0.1:8000', trusted),
    ).toBe(false)
    expect(isTrustedOrigin('http://evil-localhost:3000', 'http://127.0.0.1:8000', trusted)).toBe(
      false,
    )
    expect(isTrustedOrigin('https://localhost:3000', 'http://127.0.0.1:8000', trusted)).toBe(false)
  })
})
