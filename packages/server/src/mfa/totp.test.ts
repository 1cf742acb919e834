import { describe, expect, it } from 'vitest'
import { generateTotpCode, generateTotpSecret, totpStep, totpUri, verifyTotpCode } from './totp.js'

// RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890", Base32-encoded; codes are the last six digits.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const RFC_VECTORS: [number, string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
]
const at = (seconds: number) => new Date(seconds * 1000)

describe('TOTP', () => {
  it('computes the RFC 6238 test vectors', async () => {
    for (const [seconds, code] of RFC_VECTORS)
      expect(await generateTotpCode(RFC_SECRET, at(seconds))).toBe(code)
  })

  it('accepts the current code and the codes one step either side, and returns the matching step', async () => {
    const now = at(1111111111)
    const step = totpStep(now)
    for (const offset of [-1, 0, 1]) {
      const code = await generateTotpCode(RFC_SECRET, at((step + offset) * 30))
      expect(await verifyTotpCode(RFC_SECRET, code, now, null)).toBe(step + offset)
    }
  })

  it('refuses codes two steps away', async () => {
    const now = at(1111111111)
    const step = totpStep(now)
    for (const offset of [-2, 2]) {
      const code = await generateTotpCode(RFC_SECRET, at((step + offset) * 30))
      expect(await verifyTotpCode(RFC_SECRET, code, now, null)).toBeNull()
    }
  })

  it('refuses a code of a step at or before the last used one (replay)', async () => {
    const now = at(1111111111)
    const step = totpStep(now)
    const code = await generateTotpCode(RFC_SECRET, now)
    expect(await verifyTotpCode(RFC_SECRET, code, now, step)).toBeNull()
    expect(await verifyTotpCode(RFC_SECRET, code, now, step - 1)).toBe(step)
    // Every step of the window used, or a clock that went back: refused, not an exception.
    expect(await verifyTotpCode(RFC_SECRET, code, now, step + 1)).toBeNull()
    expect(await verifyTotpCode(RFC_SECRET, code, now, step + 1000)).toBeNull()
  })

  it('returns null for malformed codes without throwing', async () => {
    const now = at(59)
    for (const bad of [
      '',
      '28708',
      '2870822',
      '28708a',
      ' 287082',
      '287082\n',
      '２８７０８２',
      '1e5000',
      '-28708',
    ]) {
      expect(await verifyTotpCode(RFC_SECRET, bad, now, null)).toBeNull()
    }
  })

  it('generates 160-bit Base32 secrets that differ each time', () => {
    const a = generateTotpSecret()
    const b = generateTotpSecret()
    expect(a).toMatch(/^[A-Z2-7]{32}$/)
    expect(a).not.toBe(b)
  })

  it('writes an otpauth URL with issuer, account and the app defaults', () => {
    const raw = totpUri(RFC_SECRET, 'Acme Co', 'ada')
    expect(raw.startsWith('otpauth://totp/')).toBe(true)
    const url = new URL(raw)
    expect(url.host).toBe('totp')
    expect(decodeURIComponent(url.pathname)).toBe('/Acme Co:ada')
    expect(url.searchParams.get('secret')).toBe(RFC_SECRET)
    expect(url.searchParams.get('issuer')).toBe('Acme Co')
    expect(url.searchParams.get('algorithm') ?? 'SHA1').toBe('SHA1')
    expect(url.searchParams.get('digits') ?? '6').toBe('6')
    expect(url.searchParams.get('period') ?? '30').toBe('30')
  })
})
