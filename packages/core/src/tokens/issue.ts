import { randomBytes } from 'node:crypto'
import type { AuthSettings } from '../settings.js'
import { NO_COPY_CLAIMS, type TokenPayload, type TokenType, type VerifiedToken } from './claims.js'
import { getTokenCodec } from './codec.js'

/** Options of the issue functions: a clock and extra claims. */
export interface IssueOptions {
  now?: Date
  /** Claims added to both tokens (e.g. a session id); they cannot override the registered ones. */
  claims?: Record<string, unknown>
}

/** An encoded token with the facts a caller needs without decoding it again. */
export interface IssuedToken {
  readonly token: string
  readonly jti: string
  readonly payload: Readonly<TokenPayload>
  readonly expiresAt: Date
}

/** An access/refresh pair as simplejwt's `RefreshToken.for_user(user)` and `.access_token` produce. */
export interface TokenPair {
  readonly access: IssuedToken
  readonly refresh: IssuedToken
}

/** A new random `jti`: 32 lower-case hex characters, as simplejwt's `uuid4().hex`. */
export function newJti(): string {
  return randomBytes(16).toString('hex')
}

/** Issues an access and a refresh token for a user id. */
export function issueTokenPair(
  settings: AuthSettings,
  userId: number | string,
  options: IssueOptions = {},
): TokenPair {
  const base = { ...(options.claims ?? {}), [settings.userIdClaim]: userId }
  const refresh = issueToken(settings, 'refresh', base, options.now)
  const access = issueToken(settings, 'access', base, options.now)
  return { access, refresh }
}

/** Issues an access token whose claims are copied from a verified refresh token (simplejwt's `refresh.access_token`). */
export function issueAccessTokenFromRefresh(
  settings: AuthSettings,
  refresh: VerifiedToken,
  options: Pick<IssueOptions, 'now'> = {},
): IssuedToken {
  return issueToken(settings, 'access', copyableClaims(settings, refresh), options.now)
}

/** Issues the successor of a refresh token when rotating: the same claims with a new `jti`, `iat` and `exp`. */
export function issueRotatedRefreshToken(
  settings: AuthSettings,
  refresh: VerifiedToken,
  options: Pick<IssueOptions, 'now'> = {},
): IssuedToken {
  return issueToken(settings, 'refresh', copyableClaims(settings, refresh), options.now)
}

/** The claim holding when the user logged in (OpenID Connect's name); it caps a session's tokens. */
export const AUTH_TIME_CLAIM = 'auth_time'

/** A token's `jti` and `iat` chosen by the caller (a refresh replayed in the grace window re-mints its successor). */
export interface FixedIdentity {
  readonly jti: string
  /** Epoch seconds. */
  readonly iat: number
}

/**
 * Issues one token of a type with the given claims, adding type, exp, iat, jti, aud and iss — the one place tokens
 * are minted. With `fixed`, the same inputs give the same claims (and, for HS256 and EdDSA, the same bytes). A token
 * whose claims carry `auth_time` never outlives `auth_time + sessionMaxLifetime` (ASVS 3.3.2).
 */
export function issueToken(
  settings: AuthSettings,
  type: TokenType,
  claims: Record<string, unknown>,
  now: Date = new Date(),
  fixed?: FixedIdentity,
): IssuedToken {
  const iat = fixed?.iat ?? Math.floor(now.getTime() / 1000)
  const lifetime =
    type === 'access'
      ? settings.accessTokenLifetime
      : type === 'refresh'
        ? settings.refreshTokenLifetime
        : type === 'mfa' || type === 'mfa_enrollment'
          ? settings.mfa.tokenLifetime
          : settings.slidingTokenLifetime
  const authTime = claims[AUTH_TIME_CLAIM]
  const exp =
    settings.sessionMaxLifetime !== null && typeof authTime === 'number'
      ? Math.min(iat + lifetime, authTime + settings.sessionMaxLifetime)
      : iat + lifetime
  const jti = fixed?.jti ?? newJti()
  // Key order follows simplejwt: token_type, exp, iat, jti, then the user id and extra claims.
  const payload: TokenPayload = {
    [settings.tokenTypeClaim]: type,
    exp,
    iat,
    [settings.jtiClaim]: jti,
    ...withoutRegistered(settings, claims),
    ...(settings.audience !== null ? { aud: settings.audience } : {}),
    ...(settings.issuer !== null ? { iss: settings.issuer } : {}),
  }
  if (type === 'sliding') payload.refresh_exp = iat + settings.slidingTokenRefreshLifetime
  return {
    token: getTokenCodec(settings).sign(payload),
    jti,
    payload,
    expiresAt: new Date(exp * 1000),
  }
}

/** The claims of a verified token that carry over to a token minted from it (not type, jti, exp, iat, aud, iss). */
export function copyableClaims(
  settings: AuthSettings,
  token: VerifiedToken,
): Record<string, unknown> {
  const claims: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(token.payload)) {
    if (
      !NO_COPY_CLAIMS.includes(key) &&
      key !== settings.tokenTypeClaim &&
      key !== settings.jtiClaim
    )
      claims[key] = value
  }
  return claims
}

function withoutRegistered(
  settings: AuthSettings,
  claims: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(claims)) {
    if (
      key === settings.tokenTypeClaim ||
      key === settings.jtiClaim ||
      key === 'exp' ||
      key === 'iat'
    )
      continue
    if (key === 'aud' || key === 'iss' || key === 'nbf' || key === 'refresh_exp') continue
    out[key] = value
  }
  return out
}
