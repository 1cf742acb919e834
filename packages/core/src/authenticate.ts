import { checkCsrfToken, CSRF_REASONS, isTrustedOrigin } from './csrf.js'
import { AuthError } from './errors.js'
import type { AuthSettings } from './settings.js'
import type { UserStore } from './storage.js'
import type { VerifiedToken } from './tokens/claims.js'
import { verifyAccessToken } from './tokens/verify.js'
import type { User } from './user.js'

/** The parts of an HTTP request authentication needs; adapters wrap their framework's request. */
export interface AuthRequest {
  readonly method: string
  /** A header by lower-case name; undefined when absent. */
  header(name: string): string | undefined
  /** A cookie by name; undefined when absent. */
  cookie(name: string): string | undefined
}

/** A user known only from token claims (`statelessUser: true`), as simplejwt's `TokenUser`. */
export interface TokenUser {
  readonly id: number | string
  readonly isTokenUser: true
  readonly claims: VerifiedToken['payload']
}

/** The result of authenticating a request. */
export interface Authentication {
  readonly user: User | TokenUser
  readonly token: VerifiedToken
  /** Where the token came from; only cookie-authenticated unsafe requests need a CSRF token. */
  readonly via: 'header' | 'cookie'
}

/** Loads the user behind a verified token; stores can be wrapped with a cache. */
export interface AuthenticateDeps {
  readonly users: Pick<UserStore, 'findById' | 'findByUsername'>
  readonly now?: Date
  /**
   * Optional revocation check run after the signature and time claims are verified (e.g. a revoked session or a
   * bumped per-user session version). Resolving to true refuses the token with 401 `token_not_valid`.
   */
  readonly isRevoked?: (token: VerifiedToken) => Promise<boolean> | boolean
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** Whether a method changes state (RFC 9110 §9.2.1 safe methods excluded). */
export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase())
}

/**
 * Returns the raw token from the request and where it was found, or null when none is present.
 * A header of one of `authHeaderTypes` wins; any other scheme (e.g. `Basic` from a proxy) is ignored and the cookie
 * is used. A header of our scheme that is malformed throws: it never falls back to the cookie.
 */
export function getRawToken(
  settings: AuthSettings,
  request: AuthRequest,
): { token: string; via: 'header' | 'cookie' } | null {
  const header = request.header(settings.authHeaderName)
  if (header !== undefined && header !== '') {
    const parts = header.trim().split(/\s+/)
    if (parts[0] !== undefined && settings.authHeaderTypes.includes(parts[0])) {
      if (parts.length !== 2 || !parts[1]) {
        throw new AuthError(
          'token_not_valid',
          'Authorization header must contain two space-delimited values',
        )
      }
      return { token: parts[1], via: 'header' }
    }
  }
  const cookie = request.cookie(settings.authCookie.name)
  return cookie ? { token: cookie, via: 'cookie' } : null
}

/**
 * Authenticates a request as the seed's `CustomAuthentication`: Bearer header first, else the access cookie.
 * Returns null when no credentials are present; throws `AuthError` for bad credentials (401 on the wire).
 */
export async function authenticateRequest(
  settings: AuthSettings,
  request: AuthRequest,
  deps: AuthenticateDeps,
): Promise<Authentication | null> {
  const raw = getRawToken(settings, request)
  if (raw === null) return null
  const token = verifyAccessToken(settings, raw.token, deps.now ? { now: deps.now } : {})
  if (deps.isRevoked) {
    // A revocation check answered from memory is a boolean: no extra promise on the hot path.
    const revoked = deps.isRevoked(token)
    if (revoked === true || (revoked !== false && (await revoked)))
      throw new AuthError('token_not_valid', 'Token is blacklisted')
  }
  const user = settings.statelessUser
    ? tokenUser(token)
    : await loadStoredUser(settings, token, deps)
  return { user, token, via: raw.via }
}

function tokenUser(token: VerifiedToken): TokenUser {
  return { id: token.userId, isTokenUser: true, claims: token.payload }
}

/** Loads and checks the user a token names (simplejwt's `JWTAuthentication.get_user`). */
export async function loadUser(
  settings: AuthSettings,
  token: VerifiedToken,
  deps: AuthenticateDeps,
): Promise<User | TokenUser> {
  return settings.statelessUser ? tokenUser(token) : loadStoredUser(settings, token, deps)
}

async function loadStoredUser(
  settings: AuthSettings,
  token: VerifiedToken,
  deps: AuthenticateDeps,
): Promise<User> {
  const user = await (settings.userIdField === 'id'
    ? deps.users.findById(token.userId)
    : deps.users.findByUsername(String(token.userId)))
  if (!user) throw new AuthError('user_not_found', 'User not found')
  if (!settings.userAuthenticationRule(user))
    throw new AuthError('user_inactive', 'User is inactive')
  return user
}

/**
 * Enforces CSRF for a cookie-authenticated unsafe request (Django's `CsrfViewMiddleware` via DRF's `enforce_csrf`):
 * the `Origin`, when present, must be trusted, and `X-CSRFToken` must match the `csrftoken` cookie.
 * Throws `AuthError('permission_denied', 'CSRF Failed: …')`.
 */
export function enforceCsrf(settings: AuthSettings, request: AuthRequest, ownOrigin: string): void {
  if (!isUnsafeMethod(request.method)) return
  const origin = request.header('origin')
  if (origin !== undefined && !isTrustedOrigin(origin, ownOrigin, settings.csrf.trustedOrigins)) {
    throw csrfFailed(CSRF_REASONS.badOrigin)
  }
  const reason = checkCsrfToken(
    request.cookie(settings.csrf.cookieName),
    request.header(settings.csrf.headerName.toLowerCase()),
  )
  if (reason !== null) throw csrfFailed(reason)
}

/**
 * Guards endpoints that set or use auth cookies without a CSRF token (login, refresh, logout): an `Origin` header,
 * when present, must be the server's own origin or a trusted one. Throws `AuthError('permission_denied')`.
 */
export function enforceTrustedOrigin(
  settings: AuthSettings,
  request: AuthRequest,
  ownOrigin: string,
): void {
  if (!isUnsafeMethod(request.method)) return
  const origin = request.header('origin')
  if (origin !== undefined && !isTrustedOrigin(origin, ownOrigin, settings.csrf.trustedOrigins)) {
    throw csrfFailed(CSRF_REASONS.badOrigin)
  }
}

function csrfFailed(reason: string): AuthError {
  return new AuthError('permission_denied', `CSRF Failed: ${reason}`)
}
