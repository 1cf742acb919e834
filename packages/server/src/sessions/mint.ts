import { randomBytes } from 'node:crypto'
import { getTokenCodec, type AuthSettings, type IssuedToken, type TokenPayload, type TokenType } from '@cookiejwt/core'

/** The claim carrying the session (refresh-token family) id in both tokens. */
export const SESSION_ID_CLAIM = 'sid'
/** The claim carrying the user's session version in access tokens (cheap revoke-all). */
export const SESSION_VERSION_CLAIM = 'sv'
/** When the user logged in to start the session (OpenID Connect's name); copied through every rotation. */
export const AUTH_TIME_CLAIM = 'auth_time'

const REGISTERED = new Set(['exp', 'iat', 'nbf', 'aud', 'iss', 'refresh_exp'])

/** A new random session id: 32 lower-case hex characters. */
export function newSessionId(): string {
  return randomBytes(16).toString('hex')
}

/**
 * Signs a token with a chosen `jti` and `iat`, laid out as `issueToken` lays it out (simplejwt's key order).
 * The same inputs give the same claims — and, for HS256 and EdDSA, the same bytes — which is what lets a refresh
 * replayed inside the grace window receive the identical successor pair without the pair ever being stored.
 */
export function mintToken(
  settings: AuthSettings,
  type: TokenType,
  claims: Record<string, unknown>,
  jti: string,
  iat: number,
): IssuedToken {
  const lifetime = type === 'access' ? settings.accessTokenLifetime : settings.refreshTokenLifetime
  const authTime = claims[AUTH_TIME_CLAIM]
  // No token of a session outlives the session's absolute lifetime, however often it was rotated (ASVS 3.3.2).
  const exp =
    settings.sessionMaxLifetime !== null && typeof authTime === 'number'
      ? Math.min(iat + lifetime, authTime + settings.sessionMaxLifetime)
      : iat + lifetime
  const extra: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(claims)) {
    if (key === settings.tokenTypeClaim || key === settings.jtiClaim || REGISTERED.has(key)) continue
    extra[key] = value
  }
  const payload: TokenPayload = {
    [settings.tokenTypeClaim]: type,
    exp,
    iat,
    [settings.jtiClaim]: jti,
    ...extra,
    ...(settings.audience !== null ? { aud: settings.audience } : {}),
    ...(settings.issuer !== null ? { iss: settings.issuer } : {}),
  }
  return { token: getTokenCodec(settings).sign(payload), jti, payload, expiresAt: new Date(exp * 1000) }
}
