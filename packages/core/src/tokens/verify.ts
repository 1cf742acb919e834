import { AuthError } from '../errors.js'
import { parseUserId } from '../user-table.js'
import type { AuthSettings } from '../settings.js'
import { MAX_TOKEN_LENGTH, isTimeClaim, type TokenType, type VerifiedToken } from './claims.js'
import { getTokenCodec } from './codec.js'

/** Options of the verify functions: a clock instead of global time. */
export interface VerifyOptions {
  now?: Date
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** Most verified tokens remembered per settings object; with tokens ≤ 1 kB that bounds the cache near 4 MB. */
const VERIFIED_CACHE_SIZE = 4096
const MAX_CACHED_TOKEN_LENGTH = 1024
const verifiedCaches = new WeakMap<AuthSettings, Map<string, VerifiedToken>>()

/**
 * Verifies a token of the expected type and returns its checked claims.
 * Throws `AuthError('token_not_valid')` for anything else: bad signature or algorithm, malformed, expired,
 * not yet valid, wrong `aud`/`iss`, wrong type, missing `jti` or user id.
 *
 * A token that verified once is remembered by its exact text (per settings object, so a key change starts afresh):
 * seen again, it costs one Map lookup and the time checks, which depend on the clock and run on every use. Only a
 * byte-identical token hits (the codec refuses non-canonical signatures); failures are never remembered; the
 * results are frozen because every later request shares them.
 */
export function verifyToken(
  settings: AuthSettings,
  token: string,
  expectedType: TokenType,
  options: VerifyOptions = {},
): VerifiedToken {
  let cache = verifiedCaches.get(settings)
  if (cache === undefined) {
    cache = new Map()
    verifiedCaches.set(settings, cache)
  }
  const now = Math.floor((options.now?.getTime() ?? Date.now()) / 1000)
  const hit = typeof token === 'string' ? cache.get(token) : undefined
  if (hit !== undefined) {
    checkTimes(settings, hit.exp, hit.payload.nbf as number | undefined, now)
    if (hit.type !== expectedType) throw invalid('Token has wrong type')
    return hit
  }
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) {
    throw invalid('Token is invalid')
  }
  let payload: Record<string, unknown>
  try {
    payload = getTokenCodec(settings).verify(token)
  } catch (error) {
    throw invalid('Token is invalid', error)
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    throw invalid('Token is invalid')
  // The JWT library checks aud/iss only when present; configured, they are required (PyJWT's MissingRequiredClaim).
  if (settings.audience !== null && payload.aud === undefined)
    throw invalid('Token has no aud claim')
  if (settings.issuer !== null && payload.iss === undefined) throw invalid('Token has no iss claim')

  const { exp, iat, nbf } = payload
  if (!isTimeClaim(exp)) throw invalid('Token has no valid exp claim')
  if (iat !== undefined && !isTimeClaim(iat)) throw invalid('Token has no valid iat claim')
  if (nbf !== undefined && !isTimeClaim(nbf)) throw invalid('Token has no valid nbf claim')
  checkTimes(settings, exp, nbf, now)

  const type = payload[settings.tokenTypeClaim]
  if (type !== expectedType) throw invalid('Token has wrong type')
  const jti = payload[settings.jtiClaim]
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 255)
    throw invalid('Token has no id')
  const userId = payload[settings.userIdClaim]
  if (!isUserId(userId, settings))
    throw invalid('Token contained no recognizable user identification')

  const verified: VerifiedToken = Object.freeze({
    type: expectedType,
    jti,
    userId,
    exp,
    iat: iat ?? exp,
    payload: Object.freeze(payload) as VerifiedToken['payload'],
    raw: token,
  })
  if (token.length <= MAX_CACHED_TOKEN_LENGTH) {
    if (cache.size >= VERIFIED_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
    cache.set(token, verified)
  }
  return verified
}

function checkTimes(settings: AuthSettings, exp: number, nbf: number | undefined, now: number) {
  if (exp + settings.leeway <= now) throw invalid('Token is expired')
  if (nbf !== undefined && nbf - settings.leeway > now) throw invalid('Token is not yet valid')
}

/** Verifies an access token (`token_type: "access"`). */
export function verifyAccessToken(
  settings: AuthSettings,
  token: string,
  options?: VerifyOptions,
): VerifiedToken {
  return verifyToken(settings, token, 'access', options)
}

/** Verifies a refresh token (`token_type: "refresh"`); it does not consult the blacklist. */
export function verifyRefreshToken(
  settings: AuthSettings,
  token: string,
  options?: VerifyOptions,
): VerifiedToken {
  return verifyToken(settings, token, 'refresh', options)
}

function isUserId(value: unknown, settings: AuthSettings): value is number | string {
  if (settings.userIdField === 'id') {
    // Django's AutoField, which simplejwt writes as a JSON number (a numeric string is accepted for custom user
    // models), or a UUID primary key, which simplejwt writes as its hyphenated text.
    return parseUserId(settings.userTable.idType, value) !== null
  }
  return typeof value === 'string' && value.length > 0 && value.length <= 150
}

function invalid(message: string, cause?: unknown): AuthError {
  return new AuthError('token_not_valid', message, cause === undefined ? undefined : { cause })
}
