import { createDecoder, createSigner, createVerifier, TokenError } from 'fast-jwt'
import type { AuthSettings } from '../settings.js'

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

function compileCodec(settings: AuthSettings): TokenCodec {
  const key = settings.signingKey
  const verifyKey = settings.verifyingKey ?? settings.signingKey
  // `iat` and `exp` are always in the payload (issueToken sets them), so the signer adds nothing of its own.
  const signer = createSigner({ key, algorithm: settings.algorithm })
  const verifier = createVerifier({
    key: verifyKey,
    // Only the configured algorithm: `alg` in the token never chooses (RFC 8725 §3.1); `none` is never accepted.
    algorithms: [settings.algorithm],
    ...(settings.audience !== null ? { allowedAud: settings.audience } : {}),
    ...(settings.issuer !== null ? { allowedIss: settings.issuer } : {}),
    // exp and nbf are checked by verifyToken with the caller's clock and the leeway.
    ignoreExpiration: true,
    ignoreNotBefore: true,
    // A verified-token cache keyed by the SHA-256 of the token: a repeat costs a hash, not an HMAC + JSON parse.
    cache: 2048,
    cacheTTL: 600_000,
  })
  const decoder = createDecoder()
  return {
    sign: (payload) => signer(payload),
    verify: (token) => verifier(token) as Record<string, unknown>,
    decode: (token) => {
      try {
        const payload = decoder(token)
        return payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : null
      } catch {
        return null
      }
    },
  }
}

/** Whether an error came from the JWT library's checks (as opposed to a bug). */
export function isTokenLibraryError(error: unknown): boolean {
  return error instanceof TokenError
}
