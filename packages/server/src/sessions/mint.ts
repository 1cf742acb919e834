import {
  AUTH_TIME_CLAIM,
  issueToken,
  newJti,
  type AuthSettings,
  type IssuedToken,
  type TokenType,
} from '@cookiejwt/core'

/** The claim carrying the session (refresh-token family) id in both tokens. */
export const SESSION_ID_CLAIM = 'sid'
/** The claim carrying the user's session version in access tokens (cheap revoke-all). */
export const SESSION_VERSION_CLAIM = 'sv'
/** When the user logged in to start the session (OpenID Connect's name); copied through every rotation. */
export { AUTH_TIME_CLAIM }

/** A new random session id: 32 lower-case hex characters, made as a `jti` is. */
export const newSessionId = newJti

/**
 * Signs a token with a chosen `jti` and `iat`: core's `issueToken` with a fixed identity. The same inputs give the
 * same claims — and, for HS256 and EdDSA, the same bytes — which is what lets a refresh replayed inside the grace
 * window receive the identical successor pair without the pair ever being stored.
 */
export function mintToken(
  settings: AuthSettings,
  type: TokenType,
  claims: Record<string, unknown>,
  jti: string,
  iat: number,
): IssuedToken {
  return issueToken(settings, type, claims, new Date(iat * 1000), { jti, iat })
}
