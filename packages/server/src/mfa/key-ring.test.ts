import { defineSettings } from '@cookiejwt/core'
import { describe, expect, it } from 'vitest'
import { MfaKeyRing, mfaKeyRingFromSettings } from './key-ring.js'

const KEY_A = 'a'.repeat(32)
const KEY_B = 'b'.repeat(32)

describe('MfaKeyRing', () => {
  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const ring = new MfaKeyRing([KEY_A])
    const sealed = ring.seal('JBSWY3DPEHPK3PXP', 'totp:1')
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP')
    expect(sealed).toMatch(/^v1\$[A-Za-z0-9_-]{8}\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/)
    expect(ring.open(sealed, 'totp:1')).toEqual({
      plaintext: 'JBSWY3DPEHPK3PXP',
      keyId: ring.currentKeyId,
    })
    expect(ring.seal('JBSWY3DPEHPK3PXP', 'totp:1')).not.toBe(sealed)
  })

  it('refuses a value of another context (a secret copied to another user)', () => {
    const ring = new MfaKeyRing([KEY_A])
    expect(ring.open(ring.seal('S', 'totp:1'), 'totp:2')).toBeNull()
  })

  it('refuses altered, truncated and foreign values without throwing', () => {
    const ring = new MfaKeyRing([KEY_A])
    const sealed = ring.seal('JBSWY3DPEHPK3PXP', 'totp:1')
    const parts = sealed.split('$')
    const body = Buffer.from(parts[3]!, 'base64url')
    body[0] = body[0]! ^ 1
    const flipped = [parts[0], parts[1], parts[2], body.toString('base64url')].join('$')
    for (const bad of [
      flipped,
      sealed.slice(0, -4),
      '',
      'JBSWY3DPEHPK3PXP',
      'v1$x$y$z',
      'v2' + sealed.slice(2),
      `${sealed}$x`,
    ]) {
      expect(ring.open(bad, 'totp:1')).toBeNull()
    }
    expect(new MfaKeyRing([KEY_B]).open(sealed, 'totp:1')).toBeNull()
  })

  it('rotates: a new first key seals, the old key still opens and verifies', () => {
    const old = new MfaKeyRing([KEY_A])
    const sealed = old.seal('S', 'totp:1')
    const digest = old.digest('backup:1:abc')
    const rotated = new MfaKeyRing([KEY_B, KEY_A])
    expect(rotated.currentKeyId).not.toBe(old.currentKeyId)
    expect(rotated.open(sealed, 'totp:1')).toEqual({ plaintext: 'S', keyId: old.currentKeyId })
    expect(rotated.candidateDigests('backup:1:abc')).toContain(digest)
    expect(rotated.matches(digest, 'backup:1:abc')).toBe(true)
    expect(rotated.matches(digest, 'backup:1:abd')).toBe(false)
    expect(new MfaKeyRing([KEY_B]).matches(digest, 'backup:1:abc')).toBe(false)
  })

  it('digests are keyed: the same value under another key differs', () => {
    expect(new MfaKeyRing([KEY_A]).digest('v')).not.toBe(new MfaKeyRing([KEY_B]).digest('v'))
    expect(new MfaKeyRing([KEY_A]).digest('v')).toMatch(/^hmac\$[A-Za-z0-9_-]{8}\$[0-9a-f]{64}$/)
  })

  it('needs at least one key', () => {
    expect(() => new MfaKeyRing([])).toThrow('the MFA key ring needs at least one key ("mfa.keys")')
  })
})

describe('mfaKeyRingFromSettings', () => {
  it('uses mfa.keys when set, independent of the signing key', () => {
    const one = mfaKeyRingFromSettings(
      defineSettings({ signingKey: KEY_A, mfa: { keys: [KEY_B] } }),
    )
    const two = mfaKeyRingFromSettings(
      defineSettings({ signingKey: 'c'.repeat(32), mfa: { keys: [KEY_B] } }),
    )
    expect(one.currentKeyId).toBe(two.currentKeyId)
    expect(two.open(one.seal('S', 'totp:1'), 'totp:1')?.plaintext).toBe('S')
  })

  it('derives from the signing key by default, and from the active key of a key set first', () => {
    const plain = mfaKeyRingFromSettings(defineSettings({ signingKey: KEY_A }))
    expect(plain.currentKeyId).toBe(new MfaKeyRing([KEY_A]).currentKeyId)
    const sealed = plain.seal('S', 'totp:1')
    const withSet = mfaKeyRingFromSettings(
      defineSettings({
        signingKey: KEY_A,
        signingKeys: [{ kid: 'new', algorithm: 'HS256', key: KEY_B, active: true }],
      }),
    )
    expect(withSet.currentKeyId).toBe(new MfaKeyRing([KEY_B]).currentKeyId)
    // Secrets sealed before the key set still open while the old signing key is configured.
    expect(withSet.open(sealed, 'totp:1')?.plaintext).toBe('S')
  })

  it('refuses a short mfa key at start-up', () => {
    expect(() => defineSettings({ signingKey: KEY_A, mfa: { keys: ['short'] } })).toThrow(
      '"mfa.keys[0]" is too short: a key must be at least 32 bytes',
    )
  })
})
