import { randomInt, timingSafeEqual } from 'node:crypto'
import { compileOrigins } from './origins.js'

/** Django's CSRF alphabet and lengths (`django/middleware/csrf.py`). */
export const CSRF_ALLOWED_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
/** Length of an unmasked secret. */
export const CSRF_SECRET_LENGTH = 32
/** Length of a masked token: mask + cipher. */
export const CSRF_TOKEN_LENGTH = 2 * CSRF_SECRET_LENGTH

const CHARS = CSRF_ALLOWED_CHARS
const INDEX = new Map([...CHARS].map((c, i) => [c, i]))

/** Reasons with Django's wording; the API sends `CSRF Failed: <reason>`. */
export const CSRF_REASONS = {
  noCookie: 'CSRF cookie not set.',
  noToken: 'CSRF token missing.',
  badToken: 'CSRF token incorrect.',
  badOrigin: 'Origin checking failed - the request origin does not match any trusted origins.',
  badLength: 'CSRF token has incorrect length.',
  badChars: 'CSRF token has invalid characters.',
} as const

function randomString(length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += CHARS[randomInt(CHARS.length)]
  return out
}

/** A new 32-character secret, the value of the `csrftoken` cookie (Django ≥ 4.1 stores it unmasked). */
export function generateCsrfSecret(): string {
  return randomString(CSRF_SECRET_LENGTH)
}

/** Masks a secret with a fresh random mask, so the token differs on every response (BREACH mitigation). */
export function maskCsrfSecret(secret: string): string {
  const mask = randomString(CSRF_SECRET_LENGTH)
  let cipher = ''
  for (let i = 0; i < CSRF_SECRET_LENGTH; i++) {
    cipher +=
      CHARS[((INDEX.get(secret[i] ?? '') ?? 0) + (INDEX.get(mask[i] ?? '') ?? 0)) % CHARS.length]
  }
  return mask + cipher
}

/** Recovers the secret from a masked token. The caller has checked its format. */
export function unmaskCsrfToken(token: string): string {
  const mask = token.slice(0, CSRF_SECRET_LENGTH)
  const cipher = token.slice(CSRF_SECRET_LENGTH)
  let secret = ''
  for (let i = 0; i < CSRF_SECRET_LENGTH; i++) {
    const x = INDEX.get(cipher[i] ?? '') ?? 0
    const y = INDEX.get(mask[i] ?? '') ?? 0
    secret += CHARS[(x - y + CHARS.length) % CHARS.length]
  }
  return secret
}

const FORMAT = /^[a-zA-Z0-9]+$/

/** Whether a value has the shape of a secret or masked token. */
export function isCsrfTokenFormat(value: string): boolean {
  return (
    (value.length === CSRF_SECRET_LENGTH || value.length === CSRF_TOKEN_LENGTH) &&
    FORMAT.test(value)
  )
}

/** The secret held by a cookie value (32 chars, or a masked 64-char value written by older Django); null when malformed. */
export function csrfSecretFromCookie(value: string | undefined): string | null {
  if (!value || !isCsrfTokenFormat(value)) return null
  return value.length === CSRF_TOKEN_LENGTH ? unmaskCsrfToken(value) : value
}

/**
 * Checks the request token (header) against the cookie as Django's `CsrfViewMiddleware` does.
 * Returns null when they match, else the reason (Django's wording). Compares in constant time.
 */
export function checkCsrfToken(
  cookieValue: string | undefined,
  requestToken: string | undefined,
): string | null {
  if (cookieValue === undefined || cookieValue === '') return CSRF_REASONS.noCookie
  const secret = csrfSecretFromCookie(cookieValue)
  if (secret === null) return CSRF_REASONS.noCookie
  if (requestToken === undefined || requestToken === '') return CSRF_REASONS.noToken
  if (requestToken.length !== CSRF_SECRET_LENGTH && requestToken.length !== CSRF_TOKEN_LENGTH)
    return CSRF_REASONS.badLength
  if (!FORMAT.test(requestToken)) return CSRF_REASONS.badChars
  const presented =
    requestToken.length === CSRF_TOKEN_LENGTH ? unmaskCsrfToken(requestToken) : requestToken
  return timingSafeEqual(Buffer.from(presented), Buffer.from(secret)) ? null : CSRF_REASONS.badToken
}

/**
 * Whether an `Origin` header is acceptable for an unsafe request: the server's own origin or a trusted one.
 * `null` (opaque origins: sandboxed frames, `file:`) is never trusted.
 */
export function isTrustedOrigin(
  origin: string,
  ownOrigin: string,
  trustedOrigins: readonly string[],
): boolean {
  if (origin === 'null') return false
  const normalized = origin.toLowerCase()
  // Exact entries, then anchored one-label patterns (`https://*.example.com`); never a substring or suffix match.
  return (
    normalized === ownOrigin.toLowerCase() || compileOrigins(trustedOrigins).matches(normalized)
  )
}
