import { describe, expect, it } from 'vitest'
import { isTrustedOrigin } from './csrf.js'
import { checkOriginList, compileOrigins } from './origins.js'
import { defineSettings } from './settings.js'

const KEY = 'origins-test-key-0123456789abcdefghijklmnopqrstuvwxyz'

describe('origin allow-lists', () => {
  const list = Object.freeze(
    checkOriginList(
      ['https://app.example.com', 'https://*.example.com', 'http://*.dev.example.org:8080'],
      'cors.allowedOrigins',
    ),
  )
  const m = compileOrigins(list)

  it('matches exact origins and exactly one subdomain label for a pattern', () => {
    for (const ok of [
      'https://app.example.com',
      'https://admin.example.com',
      'https://A-1.Example.COM',
      'http://x.dev.example.org:8080',
    ]) {
      expect(m.matches(ok), ok).toBe(true)
    }
  })

  it('never matches by substring, suffix, extra labels, another scheme or port', () => {
    for (const bad of [
      'https://example.com',
      'https://example.com.evil.net',
      'https://evilexample.com',
      'https://evil-example.com',
      'https://a.b.example.com',
      'https://.example.com',
      'https://app.example.com.',
      'https://app.example.com:8443',
      'http://app.example.com',
      'https://app.exampleXcom',
      'https://appxexample.com',
      'http://x.dev.example.org',
      'http://x.dev.example.org:80800',
      'https://app.example.com/path',
      'https://user@app.example.com',
      'null',
      '',
      undefined,
    ]) {
      expect(m.matches(bad), String(bad)).toBe(false)
    }
  })

  it('uses the same matching for CSRF trusted origins', () => {
    const s = defineSettings({
      signingKey: KEY,
      csrf: { trustedOrigins: ['https://*.example.com'] },
    })
    expect(
      isTrustedOrigin('https://app.example.com', 'http://127.0.0.1:8000', s.csrf.trustedOrigins),
    ).toBe(true)
    expect(
      isTrustedOrigin(
        'https://example.com.evil.net',
        'http://127.0.0.1:8000',
        s.csrf.trustedOrigins,
      ),
    ).toBe(false)
    expect(
      isTrustedOrigin('https://evilexample.com', 'http://127.0.0.1:8000', s.csrf.trustedOrigins),
    ).toBe(false)
  })

  it('refuses at start-up: "*", a missing scheme (naming the value), bad patterns', () => {
    expect(() => defineSettings({ signingKey: KEY, cors: { allowedOrigins: ['*'] } })).toThrow(
      /"cors.allowedOrigins" cannot contain "\*"/,
    )
    expect(() =>
      defineSettings({ signingKey: KEY, csrf: { trustedOrigins: ['app.example.com'] } }),
    ).toThrow(
      /"csrf.trustedOrigins" has "app.example.com", which has no scheme: write it like https:\/\/app.example.com/,
    )
    expect(() =>
      defineSettings({ signingKey: KEY, csrf: { trustedOrigins: ['localhost:3000'] } }),
    ).toThrow(/"localhost:3000", which has no scheme/)
    for (const bad of [
      'https://*.com',
      'https://*example.com',
      'https://app.*.example.com',
      'https://**.example.com',
      '*.example.com',
      'https://*.example.com/x',
      'ftp://*.example.com',
    ]) {
      expect(() => checkOriginList([bad], 'cors.allowedOrigins'), bad).toThrow(
        /cors.allowedOrigins/,
      )
    }
  })
})
