import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto'
import { ImproperlyConfigured } from '../errors.js'

/** HMAC algorithms: one shared secret signs and verifies. */
export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512'
/** Asymmetric algorithms: a private key signs, the public key verifies and may be published (JWKS). */
export type AsymmetricAlgorithm = 'RS256' | 'ES256' | 'EdDSA'
/** Every signing algorithm cookiejwt accepts; `none` is never one of them. */
export type Algorithm = HmacAlgorithm | AsymmetricAlgorithm

/** The supported algorithms, HMAC first. */
export const ALGORITHMS: readonly Algorithm[] = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'ES256',
  'EdDSA',
]

/**
 * Smallest RSA modulus accepted for RS256: 3072 bits, 128 bits of security (NIST SP 800-57 Part 1 Table 2; OWASP ASVS
 * 5.0 §11.2.3 — 2048 bits give only 112).
 */
export const MIN_RSA_BITS = 3072

/** A `kid`: short, printable, never interpreted — it is only ever an exact map key. */
const KID = /^[A-Za-z0-9._~-]{1,64}$/

/** One key of a key set, after validation. */
export interface SigningKey {
  /** Key id written in the token header (`kid`) and looked up exactly when verifying. */
  readonly kid: string
  readonly algorithm: Algorithm
  /** HMAC secret, or PEM private key; null for a verify-only public key (e.g. a retired key). */
  readonly key: string | null
  /** PEM public key of an asymmetric key (derived from `key` when not given); null for HMAC. */
  readonly publicKey: string | null
  /** Whether this key signs new tokens; exactly one key of a set is active. */
  readonly active: boolean
}

/** What `signingKeys` (or a key-set file's `keys`) accepts for one key. */
export interface SigningKeyInput {
  kid: string
  algorithm: Algorithm
  key?: string | null
  publicKey?: string | null
  active?: boolean
}

/** A key-set file as `cookiejwt keys` writes it (JSON, mode 0600). */
export interface KeySetFile {
  keys: (SigningKeyInput & { createdAt?: string })[]
}

/** A public key in JWK form (RFC 7517), as published at `/.well-known/jwks.json`. */
export type PublicJwk = JsonWebKey & { kid: string; alg: AsymmetricAlgorithm; use: 'sig' }

/** Whether an algorithm is an HMAC one. */
export function isHmacAlgorithm(algorithm: Algorithm): algorithm is HmacAlgorithm {
  return algorithm === 'HS256' || algorithm === 'HS384' || algorithm === 'HS512'
}

/**
 * Checks key material for an algorithm and returns the PEM public key (null for HMAC).
 * Throws `ImproperlyConfigured` naming `name` for a short HMAC secret, a PEM that does not parse, a key of the
 * wrong type for the algorithm, an RSA key under 3072 bits, or a public key that does not match the private key.
 */
export function checkKeyMaterial(
  algorithm: Algorithm,
  key: string | null,
  publicKey: string | null,
  name: string,
  minHmacBytes = 32,
): string | null {
  if (isHmacAlgorithm(algorithm)) {
    if (key === null) throw new ImproperlyConfigured(`"${name}" needs a secret for ${algorithm}`)
    if (publicKey !== null)
      throw new ImproperlyConfigured(`"${name}" is ${algorithm}: an HMAC key has no public key`)
    if (Buffer.byteLength(key, 'utf8') < minHmacBytes) {
      throw new ImproperlyConfigured(
        `"${name}" is too short for ${algorithm}: an HMAC key must be at least ${minHmacBytes} bytes (RFC 7518 §3.2)`,
      )
    }
    return null
  }
  let privateObject: KeyObject | null = null
  let publicObject: KeyObject
  try {
    if (key !== null) privateObject = createPrivateKey(key)
  } catch {
    throw new ImproperlyConfigured(`"${name}" is not a PEM private key for ${algorithm}`)
  }
  try {
    publicObject =
      publicKey !== null ? createPublicKey(publicKey) : createPublicKey(privateObject as KeyObject)
  } catch {
    throw new ImproperlyConfigured(`"${name}" needs a PEM public key for ${algorithm}`)
  }
  if (privateObject === null && publicKey === null) {
    throw new ImproperlyConfigured(`"${name}" needs a private or a public key for ${algorithm}`)
  }
  for (const object of privateObject ? [privateObject, publicObject] : [publicObject])
    checkKeyType(algorithm, object, name)
  const derived = privateObject ? createPublicKey(privateObject) : publicObject
  if (!derived.equals(publicObject))
    throw new ImproperlyConfigured(`"${name}": the public key does not belong to the private key`)
  return publicObject.export({ type: 'spki', format: 'pem' }).toString()
}

function checkKeyType(algorithm: AsymmetricAlgorithm, key: KeyObject, name: string): void {
  const details = key.asymmetricKeyDetails ?? {}
  const ok =
    algorithm === 'EdDSA'
      ? key.asymmetricKeyType === 'ed25519'
      : algorithm === 'ES256'
        ? key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1'
        : key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS
  if (!ok) {
    const want =
      algorithm === 'EdDSA'
        ? 'an Ed25519 key'
        : algorithm === 'ES256'
          ? 'a P-256 EC key'
          : `an RSA key of at least ${MIN_RSA_BITS} bits`
    throw new ImproperlyConfigured(`"${name}" is ${algorithm}, which needs ${want}`)
  }
}

/** Validates a list of keys (`signingKeys`): unique valid `kid`s, good key material, exactly one active signing key. */
export function normalizeSigningKeys(
  input: unknown,
  name = 'signingKeys',
  minHmacBytes = 32,
): SigningKey[] {
  if (!Array.isArray(input)) throw new ImproperlyConfigured(`"${name}" must be a list of keys`)
  const seen = new Set<string>()
  const keys = input.map((raw, index): SigningKey => {
    const at = `${name}[${index}]`
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new ImproperlyConfigured(`"${at}" must be an object`)
    const entry = raw as Record<string, unknown>
    for (const field of Object.keys(entry)) {
      if (!['kid', 'algorithm', 'key', 'publicKey', 'active', 'createdAt'].includes(field)) {
        throw new ImproperlyConfigured(`unknown setting "${at}.${field}"`)
      }
    }
    const { kid, algorithm } = entry
    if (typeof kid !== 'string' || !KID.test(kid)) {
      throw new ImproperlyConfigured(
        `"${at}.kid" must be 1-64 characters of letters, digits and . _ ~ -`,
      )
    }
    if (seen.has(kid))
      throw new ImproperlyConfigured(
        `"${at}.kid" repeats ${JSON.stringify(kid)}: key ids must be unique`,
      )
    seen.add(kid)
    if (!ALGORITHMS.includes(algorithm as Algorithm)) {
      throw new ImproperlyConfigured(`"${at}.algorithm" must be one of ${ALGORITHMS.join(', ')}`)
    }
    const key = optionalString(entry.key, `${at}.key`)
    const publicKey = optionalString(entry.publicKey, `${at}.publicKey`)
    if (entry.active !== undefined && typeof entry.active !== 'boolean') {
      throw new ImproperlyConfigured(`"${at}.active" must be true or false`)
    }
    const derived = checkKeyMaterial(algorithm as Algorithm, key, publicKey, `${at}`, minHmacBytes)
    return {
      kid,
      algorithm: algorithm as Algorithm,
      key,
      publicKey: derived,
      active: entry.active === true,
    }
  })
  if (keys.length === 0) return keys
  const active = keys.filter((k) => k.active)
  if (active.length !== 1) {
    throw new ImproperlyConfigured(
      `"${name}" must have exactly one key with "active": true (found ${active.length})`,
    )
  }
  if (active[0]?.key === null)
    throw new ImproperlyConfigured(`"${name}": the active key needs its private key to sign`)
  return keys
}

function optionalString(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.length === 0)
    throw new ImproperlyConfigured(`"${name}" must be a non-empty string`)
  return value
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of a PEM public key; the `kid` of a single asymmetric key. */
export function jwkThumbprint(publicKey: string): string {
  const jwk = createPublicKey(publicKey).export({ format: 'jwk' }) as Record<string, string>
  // Only the required members, in lexicographic order (RFC 7638 §3.2).
  const members =
    jwk.kty === 'RSA'
      ? ['e', 'kty', 'n']
      : jwk.kty === 'EC'
        ? ['crv', 'kty', 'x', 'y']
        : ['crv', 'kty', 'x']
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])))
  return createHash('sha256').update(canonical).digest('base64url')
}

/** The public JWK of a key for `/.well-known/jwks.json`; null for an HMAC key, which must never be published. */
export function toPublicJwk(
  key: Pick<SigningKey, 'kid' | 'algorithm' | 'publicKey'>,
): PublicJwk | null {
  if (isHmacAlgorithm(key.algorithm) || key.publicKey === null) return null
  // Export from a public KeyObject: its JWK cannot contain a private member (`d`, `p`, `q`, …).
  const jwk = createPublicKey(key.publicKey).export({ format: 'jwk' })
  return { ...jwk, kid: key.kid, alg: key.algorithm, use: 'sig' }
}

/** A new key id: the date and 6 random hex characters, e.g. `2025-01-31-a1b2c3`. */
export function newKid(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`
}

/** Generates fresh key material: a 48-byte random HMAC secret, or a PEM key pair (Ed25519, P-256, RSA-3072). */
export function generateSigningKey(algorithm: Algorithm, kid: string = newKid()): SigningKey {
  if (isHmacAlgorithm(algorithm)) {
    return {
      kid,
      algorithm,
      key: randomBytes(48).toString('base64url'),
      publicKey: null,
      active: false,
    }
  }
  const pair =
    algorithm === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: MIN_RSA_BITS })
  const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  return { kid, algorithm, key: privateKey, publicKey, active: false }
}
