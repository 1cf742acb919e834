import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'
import { ImproperlyConfigured, type AuthSettings } from '@cookiejwt/core'

/** One key of the ring: an id stored beside what it protects, an AES-256-GCM key and an HMAC key. */
interface RingKey {
  readonly id: string
  readonly encryption: Buffer
  readonly mac: Buffer
}

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * The keys that protect second-factor data at rest, so that a copy of the database alone gives away no TOTP secret
 * and lets no backup code be guessed offline: secrets are AES-256-GCM encrypted (bound to their user by the
 * associated data), backup codes are HMAC-SHA256 digests. Every key is derived with HKDF-SHA256 (RFC 5869) from
 * one configured secret; the first key protects new values, every key still opens values it protected (the key id
 * is stored with each value), so keys can rotate.
 */
export class MfaKeyRing {
  readonly #keys: readonly RingKey[]

  /** `secrets[0]` protects new values; throws `ImproperlyConfigured` when there is none. */
  constructor(secrets: readonly (string | Buffer)[]) {
    if (secrets.length === 0)
      throw new ImproperlyConfigured('the MFA key ring needs at least one key ("mfa.keys")')
    const seen = new Set<string>()
    this.#keys = secrets.map(deriveKey).filter((k) => !seen.has(k.id) && seen.add(k.id))
  }

  /** Id of the key that protects new values. */
  get currentKeyId(): string {
    return this.#keys[0]!.id
  }

  /** Encrypts `plaintext` for `context` (e.g. `totp:<user id>`); the result names its key. */
  seal(plaintext: string, context: string): string {
    const key = this.#keys[0]!
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', key.encryption, iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ])
    return [VERSION, key.id, iv.toString('base64url'), body.toString('base64url')].join('$')
  }

  /**
   * Decrypts a value `seal` made for the same `context`. Returns null when its key is no longer in the ring or the
   * value was altered, moved to another context, or is not a sealed value at all; never throws on bad input.
   */
  open(sealed: string, context: string): { plaintext: string; keyId: string } | null {
    const parts = sealed.split('$')
    if (parts.length !== 4 || parts[0] !== VERSION) return null
    const key = this.#keys.find((k) => k.id === parts[1])
    if (!key) return null
    const iv = Buffer.from(parts[2]!, 'base64url')
    const body = Buffer.from(parts[3]!, 'base64url')
    if (iv.length !== IV_BYTES || body.length <= TAG_BYTES) return null
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.encryption, iv, {
        authTagLength: TAG_BYTES,
      })
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
      const plain = Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ])
      return { plaintext: plain.toString('utf8'), keyId: key.id }
    } catch {
      return null
    }
  }

  /** The digest `hmac$<key id>$<hex>` of `value` under the current key (stored for a backup code). */
  digest(value: string): string {
    return digestWith(this.#keys[0]!, value)
  }

  /** The digests of `value` under every key of the ring: a stored digest matches one of them if `value` is right. */
  candidateDigests(value: string): string[] {
    return this.#keys.map((k) => digestWith(k, value))
  }

  /** Whether `stored` is a digest of `value` under a key of the ring, compared in constant time. */
  matches(stored: string, value: string): boolean {
    const id = stored.split('$')[1]
    const key = this.#keys.find((k) => k.id === id)
    if (!key) return false
    const expected = Buffer.from(digestWith(key, value))
    const given = Buffer.from(stored)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }
}

/**
 * The ring for these settings: `mfa.keys` when set; otherwise keys derived from the signing material — the signing
 * key and every key of the key set that has its secret or private key, the active one first.
 */
export function mfaKeyRingFromSettings(settings: AuthSettings): MfaKeyRing {
  if (settings.mfa.keys.length > 0) return new MfaKeyRing(settings.mfa.keys)
  const active = settings.signingKeys.filter((k) => k.active && k.key !== null).map((k) => k.key!)
  const others = settings.signingKeys.filter((k) => !k.active && k.key !== null).map((k) => k.key!)
  const legacy = settings.signingKey ? [settings.signingKey] : []
  // With a key set the active key signs; a kid-less `signingKey` then only verifies old tokens.
  const ordered = active.length > 0 ? [...active, ...legacy, ...others] : [...legacy, ...others]
  if (ordered.length === 0)
    throw new ImproperlyConfigured('set "mfa.keys": no signing key to derive the MFA key from')
  return new MfaKeyRing(ordered)
}

function deriveKey(secret: string | Buffer): RingKey {
  const ikm = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret
  // Separate HKDF outputs per purpose (RFC 5869 §3.2 "info"): the id reveals nothing about either key.
  const expand = (info: string, bytes: number) =>
    Buffer.from(hkdfSync('sha256', ikm, 'cookiejwt-mfa', info, bytes))
  return {
    id: expand('cookiejwt mfa key id v1', 6).toString('base64url'),
    encryption: expand('cookiejwt mfa totp secret v1', 32),
    mac: expand('cookiejwt mfa backup code v1', 32),
  }
}

function digestWith(key: RingKey, value: string): string {
  return `hmac$${key.id}$${createHmac('sha256', key.mac).update(value, 'utf8').digest('hex')}`
}
