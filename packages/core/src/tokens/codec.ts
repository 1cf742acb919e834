import { createDecoder, createSigner, createVerifier, TokenError } from 'fast-jwt'
import type { AuthSettings } from '../settings.js'
import {
  isHmacAlgorithm,
  jwkThumbprint,
  toPublicJwk,
  type Algorithm,
  type PublicJwk,
} from './keys.js'

/** A compiled signer/verifier pair for one settings object. */
export interface TokenCodec {
  sign(payload: Record<string, unknown>): string
  /** Checks signature, algorithm, `aud` and `iss`; time claims are checked by the caller with its clock. */
  verify(token: string): Record<string, unknown>
  /** Decodes without verifying — for logging the `jti` of a rejected token, never for trust. */
  decode(token: string): Record<string, unknown> | null
}

const codecs = new WeakMap<AuthSettings, TokenCodec>()

/** Returns the codec for these settings, compiling it once (fast-jwt precomputes the key). */
export function getTokenCodec(settings: AuthSettings): TokenCodec {
  let codec = codecs.get(settings)
  if (!codec) {
    codec = compileCodec(settings)
    codecs.set(settings, codec)
  }
  return codec
}

type Verify = (token: string) => Record<string, unknown>

function compileCodec(settings: AuthSettings): TokenCodec {
  const decoder = createDecoder()
  const decode = (token: string) => {
    try {
      const payload = decoder(token)
      return payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : null
    } catch {
      return null
    }
  }
  const active = settings.signingKeys.find((k) => k.active)
  if (!active) {
    // One key (the default): one precompiled signer and verifier, no header parsing of our own.
    const asymmetric = !isHmacAlgorithm(settings.algorithm)
    const verifyKey = asymmetric
      ? (settings.verifyingKey as string)
      : (settings.verifyingKey ?? settings.signingKey)
    // A single asymmetric key carries its RFC 7638 thumbprint as `kid`, so JWKS consumers can pick it.
    const kid = asymmetric ? jwkThumbprint(verifyKey) : undefined
    const sign = compileSigner(settings.signingKey, settings.algorithm, kid)
    const verify = canonicalOnly(compileVerifier(settings, verifyKey, settings.algorithm))
    return { sign, verify, decode }
  }
  // A key set: the active key signs with its `kid`; each key verifies only tokens naming it.
  const verifiers = new Map<string, { algorithm: Algorithm; verify: Verify }>()
  for (const key of settings.signingKeys) {
    const verifyKey = isHmacAlgorithm(key.algorithm)
      ? (key.key as string)
      : (key.publicKey as string)
    verifiers.set(key.kid, {
      algorithm: key.algorithm,
      verify: compileVerifier(settings, verifyKey, key.algorithm),
    })
  }
  // Tokens issued before the key set (no `kid`) verify with `signingKey` when it is still configured.
  const legacy =
    settings.signingKey !== ''
      ? {
          algorithm: settings.algorithm,
          verify: compileVerifier(
            settings,
            isHmacAlgorithm(settings.algorithm)
              ? (settings.verifyingKey ?? settings.signingKey)
              : (settings.verifyingKey as string),
            settings.algorithm,
          ),
        }
      : null
  // A single asymmetric key signed with its thumbprint as `kid`: keep verifying those tokens under that id.
  if (legacy && !isHmacAlgorithm(legacy.algorithm) && settings.verifyingKey) {
    const thumbprint = jwkThumbprint(settings.verifyingKey)
    if (!verifiers.has(thumbprint)) verifiers.set(thumbprint, legacy)
  }
  const sign = compileSigner(active.key as string, active.algorithm, active.kid)
  const verify: Verify = canonicalOnly((token) => {
    const header = parseHeader(token)
    if (header === null) throw new Error('malformed token header')
    // RFC 8725 §3.1/§3.10: the token never chooses its key — no URL (jku, x5u), no embedded key (jwk, x5c).
    for (const name of FORBIDDEN_HEADERS)
      if (name in header) throw new Error(`token header "${name}" is not accepted`)
    const kid = header.kid
    let entry
    if (kid === undefined) entry = legacy
    // `kid` is only ever an exact key of this Map: never a path, a URL or a query.
    else if (typeof kid === 'string') entry = verifiers.get(kid)
    if (!entry) throw new Error('unknown key id')
    // The key decides the algorithm; `alg` must agree (no HS256-with-the-RSA-public-key confusion).
    if (header.alg !== entry.algorithm) throw new Error('algorithm does not match the key')
    return entry.verify(token)
  })
  return { sign, verify, decode }
}

/**
 * One token, one spelling: a signature whose unused base64url bits were flipped decodes to the same bytes, so it
 * would verify as a "different" token (and miss verifyToken's cache of verified tokens, which is keyed by the exact
 * text). Non-canonical signatures are refused (RFC 7515 §2, RFC 4648 §3.5).
 */
function canonicalOnly(verify: Verify): Verify {
  return (token) => {
    const signature = token.slice(token.lastIndexOf('.') + 1)
    if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) {
      throw new Error('non-canonical base64url signature')
    }
    return verify(token)
  }
}

/** Header members that would let a token choose its own verification key; a token carrying one is refused. */
export const FORBIDDEN_HEADERS: readonly string[] = ['jku', 'x5u', 'jwk', 'x5c']

function parseHeader(token: string): Record<string, unknown> | null {
  const dot = token.indexOf('.')
  if (dot <= 0 || dot > 1024) return null
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'),
    )
    return header !== null && typeof header === 'object' && !Array.isArray(header)
      ? (header as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

function compileSigner(
  key: string,
  algorithm: Algorithm,
  kid: string | undefined,
): TokenCodec['sign'] {
  // `iat` and `exp` are always in the payload (issueToken sets them), so the signer adds nothing of its own.
  const signer = createSigner({ key, algorithm, ...(kid !== undefined ? { kid } : {}) })
  return (payload) => signer(payload)
}

function compileVerifier(settings: AuthSettings, key: string, algorithm: Algorithm): Verify {
  const verifier = createVerifier({
    key,
    // Only the key's algorithm: `alg` in the token never chooses (RFC 8725 §3.1); `none` is never accepted.
    algorithms: [algorithm],
    ...(settings.audience !== null ? { allowedAud: settings.audience } : {}),
    ...(settings.issuer !== null ? { allowedIss: settings.issuer } : {}),
    // fast-jwt checks aud/iss only when present; when configured they are mandatory.
    requiredClaims: [
      ...(settings.audience !== null ? ['aud'] : []),
      ...(settings.issuer !== null ? ['iss'] : []),
    ],
    // exp and nbf are checked by verifyToken with the caller's clock and the leeway.
    ignoreExpiration: true,
    ignoreNotBefore: true,
    // Verified tokens are cached by verifyToken, keyed by the exact token text (no hashing per request).
    cache: false,
  })
  return (token) => verifier(token) as Record<string, unknown>
}

/** Whether an error came from the JWT library's checks (as opposed to a bug). */
export function isTokenLibraryError(error: unknown): boolean {
  return error instanceof TokenError
}

/**
 * The public keys of these settings as a JWK Set (RFC 7517 §5), for `/.well-known/jwks.json`: every asymmetric key
 * of the key set (active and retired), or the single asymmetric `verifyingKey`. HMAC keys are never included; an
 * empty list means there is nothing to publish.
 */
export function getPublicJwks(settings: AuthSettings): PublicJwk[] {
  if (settings.signingKeys.length > 0) {
    const out: PublicJwk[] = []
    for (const key of settings.signingKeys) {
      const jwk = toPublicJwk(key)
      if (jwk) out.push(jwk)
    }
    if (
      settings.signingKey !== '' &&
      !isHmacAlgorithm(settings.algorithm) &&
      settings.verifyingKey
    ) {
      const jwk = toPublicJwk({
        kid: jwkThumbprint(settings.verifyingKey),
        algorithm: settings.algorithm,
        publicKey: settings.verifyingKey,
      })
      if (jwk) out.push(jwk)
    }
    return out
  }
  if (isHmacAlgorithm(settings.algorithm) || !settings.verifyingKey) return []
  const jwk = toPublicJwk({
    kid: jwkThumbprint(settings.verifyingKey),
    algorithm: settings.algorithm,
    publicKey: settings.verifyingKey,
  })
  return jwk ? [jwk] : []
}
