import { describe, expect, it } from 'vitest'
import { generateBackupCodes, normalizeBackupCode } from './backup-codes.js'

describe('backup codes', () => {
  it('generates ten distinct codes of two groups of five Crockford Base32 characters', () => {
    const codes = generateBackupCodes()
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/)
  })

  it('normalises what people type: case, spaces, hyphens and look-alike letters', () => {
    expect(normalizeBackupCode('abcde-fgh12')).toBe('abcdefgh12')
    expect(normalizeBackupCode(' ABCDE FGH12 ')).toBe('abcdefgh12')
    expect(normalizeBackupCode('oooooiiiil')).toBe('0000011111')
  })

  it('refuses anything that cannot be a backup code', () => {
    for (const bad of [
      '',
      '123456',
      'abcde-fgh1',
      'abcde-fgh123',
      'abcde-fghu2',
      'abcde_fgh12',
      'ａbcde-fgh12',
      'x'.repeat(100),
    ]) {
      expect(normalizeBackupCode(bad)).toBeNull()
    }
  })
})
