// Shared signing key and HS256 token for every server in a run, so all peers verify the same bytes.
import { createHmac, randomBytes } from 'node:crypto'

/** The 64-character HS256 key every server in the bench is configured with. */
export const BENCH_KEY = 'bench-signing-key-0123456789abcdef0123456789abcdef0123456789abcd'.slice(0, 64)

/** Encode a buffer or string as base64url without padding. */
export function base64url(input) {
  return Buffer.from(input).toString('base64url')
}

/** Sign a payload as a compact HS256 JWT with header `{"alg":"HS256","typ":"JWT"}`. */
export function signHs256(payload, key = BENCH_KEY) {
  const head = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const body = base64url(JSON.stringify(payload))
  const sig = createHmac('sha256', key).update(`${head}.${body}`).digest('base64url')
  return `${head}.${body}.${sig}`
}

/**
 * Mint an access token with simplejwt's claim layout, valid long enough for a whole run.
 * `lifetimeSeconds` defaults to two hours.
 */
export function makeAccessToken({ userId = 1, lifetimeSeconds = 7200, extra = {} } = {}) {
  const iat = Math.floor(Date.now() / 1000)
  return signHs256({
    token_type: 'access',
    exp: iat + lifetimeSeconds,
    iat,
    jti: randomBytes(16).toString('hex'),
    user_id: userId,
    ...extra,
  })
}
