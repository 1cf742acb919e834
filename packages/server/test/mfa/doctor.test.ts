import { defineSettings } from '@cookiejwt/core'
import { describe, expect, it } from 'vitest'
import { checkSettings } from '../../src/doctor/check-config.js'
import { TEST_KEY } from '../helpers.js'

describe('doctor: the MFA key', () => {
  it('warns in production when TOTP secrets hang on the signing key, not with mfa.keys or outside production', () => {
    const derived = checkSettings(defineSettings({ signingKey: TEST_KEY }), { production: true }).find((f) => f.code === 'mfa-keys-derived')
    expect(derived).toMatchObject({ level: 'warning' })
    expect(derived!.message).toContain('Set COOKIEJWT_MFA_KEYS')
    const own = defineSettings({ signingKey: TEST_KEY, mfa: { keys: ['m'.repeat(40)] } })
    expect(checkSettings(own, { production: true }).map((f) => f.code)).not.toContain('mfa-keys-derived')
    expect(checkSettings(defineSettings({ signingKey: TEST_KEY }), { production: false }).map((f) => f.code)).not.toContain('mfa-keys-derived')
  })
})
