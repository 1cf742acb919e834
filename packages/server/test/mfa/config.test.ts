import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SETTINGS, defineSettings } from '@cookiejwt/core'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/cli/config.js'
import { TEST_KEY } from '../helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-mfa-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('MFA settings', () => {
  it('has the documented defaults', () => {
    expect(defineSettings({ signingKey: TEST_KEY }).mfa).toEqual({ issuer: 'cookiejwt', keys: [], failuresPerUser: 5, tokenLifetime: 300, required: 'none' })
    expect(DEFAULT_SETTINGS.mfa.tokenLifetime).toBe(300)
  })

  it('reads COOKIEJWT_MFA_KEYS (newest first) and COOKIEJWT_MFA_ISSUER', () => {
    const k1 = 'A'.repeat(43)
    const k2 = 'B'.repeat(43)
    const config = loadConfig({ COOKIEJWT_SIGNING_KEY: TEST_KEY, COOKIEJWT_MFA_KEYS: ` ${k1}, ${k2} `, COOKIEJWT_MFA_ISSUER: 'Acme Co' }, dir)
    expect(config.settings.mfa.keys).toEqual([k1, k2])
    expect(config.settings.mfa.issuer).toBe('Acme Co')
    const merged = loadConfig({ COOKIEJWT_SIGNING_KEY: TEST_KEY, COOKIEJWT_MFA_KEYS: k1, COOKIEJWT_SETTINGS: '{"mfa":{"failuresPerUser":3}}' }, dir)
    expect(merged.settings.mfa).toMatchObject({ keys: [k1], failuresPerUser: 3 })
  })

  it('refuses bad values at start-up, naming the setting', () => {
    const bad: [object, string][] = [
      [{ keys: ['short'] }, '"mfa.keys[0]" is too short: a key must be at least 32 bytes'],
      [{ keys: 'x'.repeat(40) }, '"mfa.keys" must be a list of strings'],
      [{ issuer: 'a:b' }, '"mfa.issuer" must be 1 to 64 characters without a colon or control characters'],
      [{ issuer: '' }, '"mfa.issuer" must be 1 to 64 characters without a colon or control characters'],
      [{ failuresPerUser: 0 }, '"mfa.failuresPerUser" must be a whole number greater than zero'],
      [{ tokenLifetime: '1h' }, '"mfa.tokenLifetime" must be at most 900 seconds (got 3600)'],
      [{ tokenLifetime: 0 }, '"mfa.tokenLifetime" must be greater than zero'],
      [{ nope: 1 }, 'unknown setting "mfa.nope"'],
    ]
    for (const [mfa, message] of bad) expect(() => defineSettings({ signingKey: TEST_KEY, mfa } as never)).toThrow(message)
  })
})
