import {
  AuthError,
  issueAccessTokenFromRefresh,
  issueRotatedRefreshToken,
  issueTokenPair,
  loadUser,
  parseUserId,
  verifyRefreshToken,
  type AuthSettings,
  type IssuedToken,
  type PasswordHashers,
  type TokenStore,
  type User,
  type UserId,
  type UserStore,
  type VerifiedToken,
} from '@cookiejwt/core'
import {
  ENROLL_AFTER_SIGN_IN,
  enrollmentRequiredAtLogin,
  MfaEnrollmentRequiredError,
  mustEnrollMfa,
  type MfaEnrollmentDeps,
} from './mfa/required.js'
import { logSecurityEvent, usernameDigest, type SecurityLogger } from './security-log.js'
import type { ClientInfo, SessionManager } from './sessions/manager.js'
import { SESSION_ID_CLAIM } from './sessions/mint.js'
import { ThrottledError, type LoginAttempt, type LoginThrottle } from './throttle/lockout.js'
import { outstandingOf, recordIssuedRefresh } from './token-records.js'

/** What the flows need: settings, stores, hashers and a clock. */
export interface FlowDeps {
  readonly settings: AuthSettings
  readonly users: UserStore
  readonly tokens: TokenStore
  readonly hashers: PasswordHashers
  readonly now?: () => Date
  /** Refresh-token families and session versions; without it, tokens carry no session id (simplejwt's behaviour). */
  readonly sessions?: SessionManager
  /** Login/refresh throttling and lockout; without it, nothing is throttled. */
  readonly throttle?: LoginThrottle
  /** Runs once the password was right (mandatory email verification answers 401 `email_not_verified` here). */
  readonly afterPassword?: (user: User) => Promise<void>
  /** Receives the security events (login, lockout, password change); without it, none are written. */
  readonly log?: SecurityLogger
  /**
   * The second factor, for `mfa.required`: a covered user without TOTP gets no session (a login answers 403
   * `mfa_enrollment_required` with an enrolment token, a refresh is refused). Without it such a user is refused.
   */
  readonly mfa?: MfaEnrollmentDeps
}

/** The result of a successful login or refresh. */
export interface IssuedPair {
  readonly access: IssuedToken
  readonly refresh: IssuedToken | null
}

const NO_ACTIVE_ACCOUNT = 'No active account found with the given credentials'

/** The one refusal of a login, whatever the reason; the reason and account are for the security log only. */
class LoginRefused extends AuthError {
  readonly reason: 'unknown_user' | 'wrong_password' | 'inactive'
  readonly userId: UserId | null

  constructor(reason: LoginRefused['reason'], userId: UserId | null) {
    super('no_active_account', NO_ACTIVE_ACCOUNT)
    this.name = 'AuthError'
    this.reason = reason
    this.userId = userId
  }
}

/**
 * Checks credentials as Django's `ModelBackend.authenticate` does, then issues a token pair.
 * Unknown user, wrong password and inactive user all throw the same `no_active_account` error, and the unknown-user
 * path still runs one hash so timing does not reveal which usernames exist.
 */
export async function loginWithPassword(
  deps: FlowDeps,
  username: string,
  password: string,
  client: ClientInfo = {},
): Promise<{ user: User; pair: IssuedPair }> {
  const user = await authenticateWithPassword(deps, username, password, client)
  return completeLoginWithUser(deps, user, client)
}

/**
 * The password step of a login without issuing anything (a second factor may follow): throttled, and failing as
 * `loginWithPassword` does. Returns the user whose password was right.
 */
export async function authenticateWithPassword(
  deps: FlowDeps,
  username: string,
  password: string,
  client: ClientInfo = {},
): Promise<User> {
  const ip = client.ip ?? ''
  const who = {
    ip: client.ip,
    userAgent: client.userAgent,
    usernameDigest: usernameDigest(username),
  }
  // Counted and, when locked, refused before any password check, for known and unknown usernames alike (no
  // enumeration by lockout).
  let attempt: LoginAttempt | undefined
  try {
    attempt = await deps.throttle?.beginLogin(username, ip)
  } catch (error) {
    if (error instanceof ThrottledError) {
      logSecurityEvent(deps.log, 'login_throttled', {
        ...who,
        scope: error.scope,
        retryAfter: error.retryAfter,
      })
    }
    throw error
  }
  let user: User
  try {
    user = await checkCredentials(deps, username, password)
  } catch (error) {
    if (error instanceof AuthError && error.code === 'no_active_account') {
      const locked = (await attempt?.failed()) ?? []
      const refused = error instanceof LoginRefused ? error : null
      logSecurityEvent(deps.log, 'login_failed', {
        ...who,
        userId: refused?.userId ?? undefined,
        reason: refused?.reason,
      })
      if (locked.length > 0) logSecurityEvent(deps.log, 'lockout', { ...who, scope: locked })
    } else {
      await attempt?.abandoned()
    }
    throw error
  }
  await attempt?.succeeded()
  // Only now, with the password known to be right, may a login learn that the address is unverified.
  await deps.afterPassword?.(user)
  return user
}

/** Ends a login whose every step passed: records `last_login` when asked to and issues the pair (a new session). */
export async function completeLogin(
  deps: FlowDeps,
  user: User,
  client: ClientInfo = {},
): Promise<IssuedPair> {
  return (await completeLoginWithUser(deps, user, client)).pair
}

/**
 * As `completeLogin`, also returning the user with this login's `last_login`, so the login's own response shows it
 * (Django's `update_last_login` receiver saves it on the same user object).
 */
export async function completeLoginWithUser(
  deps: FlowDeps,
  user: User,
  client: ClientInfo = {},
): Promise<{ user: User; pair: IssuedPair }> {
  const now = deps.now?.() ?? new Date()
  // Every login ends here (password, code, enrolment, sign-up without verification): the one place where a user who
  // must enrol TOTP is turned away with an enrolment token instead of a session (ASVS 5.0 §6.3.3).
  if (await mustEnrollMfa(deps.settings, deps.mfa, user)) {
    const refusal = enrollmentRequiredAtLogin(deps.settings, user, now)
    logSecurityEvent(deps.log, 'mfa_enrollment_required', {
      userId: user.id,
      jti: refusal.enrollmentToken?.jti,
      ip: client.ip,
      userAgent: client.userAgent,
    })
    throw refusal
  }
  let current = user
  if (deps.settings.updateLastLogin) {
    await deps.users.touchLastLogin(user.id, now)
    current = { ...user, lastLogin: now }
  }
  const pair = await issuePairFor(deps, current, now, client)
  const sid = pair.refresh?.payload[SESSION_ID_CLAIM]
  logSecurityEvent(deps.log, 'login_succeeded', {
    userId: user.id,
    sessionId: typeof sid === 'string' ? sid : undefined,
    ip: client.ip,
    userAgent: client.userAgent,
  })
  return { user: current, pair }
}

async function checkCredentials(deps: FlowDeps, username: string, password: string): Promise<User> {
  const { settings, users, hashers } = deps
  const user = await users.findByUsername(username)
  if (!user) {
    await hashers.hashDummy(password)
    throw new LoginRefused('unknown_user', null)
  }
  const check = await hashers.verify(password, user.password)
  if (!check.valid) throw new LoginRefused('wrong_password', user.id)
  if (!settings.userAuthenticationRule(user)) throw new LoginRefused('inactive', user.id)
  if (check.mustUpdate) {
    // Upgrade an outdated hash (Django's check_password setter); a failure here must not fail the login.
    await hashers
      .hash(password)
      .then((encoded) => users.setPassword(user.id, encoded))
      .catch(() => {})
  }
  return user
}

/** Issues and records a fresh access/refresh pair for a user; with sessions, it starts a new family. */
export async function issuePairFor(
  deps: FlowDeps,
  user: User,
  now: Date,
  client: ClientInfo = {},
): Promise<IssuedPair> {
  const { settings } = deps
  const userId = settings.userIdField === 'id' ? user.id : user.username
  if (deps.sessions) return deps.sessions.start(user.id, userId, client, now)
  const { access, refresh } = issueTokenPair(settings, userId, { now })
  await recordRefresh(deps, refresh, user.id, now)
  return { access, refresh }
}

/**
 * Exchanges a refresh token for a new access token and, with rotation, a new refresh token (simplejwt's
 * `TokenRefreshSerializer`). With blacklist-after-rotation the old token is blacklisted by one atomic write, so of
 * concurrent refreshes with the same token exactly one succeeds. The user must still exist and be active.
 */
export async function refreshTokens(
  deps: FlowDeps,
  raw: string,
  client: ClientInfo = {},
): Promise<IssuedPair> {
  const ip = client.ip ?? ''
  await deps.throttle?.checkIp(ip)
  try {
    return await rotateRefresh(deps, raw)
  } catch (error) {
    // Failed refreshes count against the IP (token guessing), like failed logins; a valid token of a user who must
    // enrol first guessed nothing.
    if (
      error instanceof AuthError &&
      error.code !== 'throttled' &&
      error.code !== 'mfa_enrollment_required'
    )
      await deps.throttle?.recordIpFailure(ip)
    throw error
  }
}

async function rotateRefresh(deps: FlowDeps, raw: string): Promise<IssuedPair> {
  const { settings, tokens } = deps
  const now = deps.now?.() ?? new Date()
  const old = verifyRefreshToken(settings, raw, { now })
  const user = await loadUserForRefresh(deps, old)
  // A session from before `mfa.required` covered this user (or before the user became staff) mints nothing more: it
  // ends within one access-token lifetime, and the next login leads to the enrolment. No token for it here: a
  // refresh token alone must not add a factor to the account.
  if (await mustEnrollMfa(settings, deps.mfa, user)) {
    logSecurityEvent(deps.log, 'mfa_enrollment_required', { userId: user?.id })
    throw new MfaEnrollmentRequiredError(ENROLL_AFTER_SIGN_IN, null, [])
  }
  const sessionUserId = user?.id ?? tokenUserId(settings, old)
  if (
    deps.sessions &&
    typeof old.payload[SESSION_ID_CLAIM] === 'string' &&
    sessionUserId !== null
  ) {
    if (settings.rotateRefreshTokens) return deps.sessions.rotate(old, sessionUserId, now)
    if ((await deps.sessions.isRevoked(old)) || (await tokens.isBlacklisted(old.jti)))
      throw blacklisted()
    return { access: issueAccessTokenFromRefresh(settings, old, { now }), refresh: null }
  }
  const consume = settings.rotateRefreshTokens && settings.blacklistAfterRotation
  if (consume) {
    const won = await tokens.blacklist(outstandingOf(old, user?.id ?? null), now)
    if (!won) throw blacklisted()
  } else if (await tokens.isBlacklisted(old.jti)) {
    throw blacklisted()
  }
  const access = issueAccessTokenFromRefresh(settings, old, { now })
  if (!settings.rotateRefreshTokens) return { access, refresh: null }
  const refresh = issueRotatedRefreshToken(settings, old, { now })
  await recordRefresh(deps, refresh, user?.id ?? null, now)
  return { access, refresh }
}

/** Blacklists a refresh token (logout, `/api/token/blacklist/`). Returns false when it already was. */
export async function blacklistRefreshToken(deps: FlowDeps, raw: string): Promise<boolean> {
  const now = deps.now?.() ?? new Date()
  const token = verifyRefreshToken(deps.settings, raw, { now })
  const userId = tokenUserId(deps.settings, token)
  const sid = token.payload[SESSION_ID_CLAIM]
  // Logging out ends the whole session: its live refresh token too, whichever of its tokens was presented.
  const ended =
    deps.sessions && typeof sid === 'string' && userId !== null
      ? await deps.sessions.revoke(sid, 'logout', now, userId)
      : false
  // Revoking the family already blacklists its live token, which may be this one: that call still did the work.
  const fresh = await deps.tokens.blacklist(outstandingOf(token, userId), now)
  return fresh || ended
}

/**
 * After a password change (Django's `update_session_auth_hash`): bumps the user's session version, so every older
 * access token is refused, and revokes every other session. A browser (cookie flow) gets a new session and pair;
 * a Bearer client keeps its session, whose next refresh mints tokens of the new version. Returns the new pair or null.
 */
export async function endOtherSessions(
  deps: FlowDeps,
  user: User,
  current: { token: VerifiedToken; via: 'cookie' | 'header' } | null,
  client: ClientInfo = {},
): Promise<IssuedPair | null> {
  const now = deps.now?.() ?? new Date()
  const sessions = deps.sessions
  const sid = current?.token.payload[SESSION_ID_CLAIM]
  const changed = (revoked: number) =>
    logSecurityEvent(deps.log, 'password_changed', {
      userId: user.id,
      sessionId: typeof sid === 'string' ? sid : undefined,
      count: revoked,
      ip: client.ip,
      userAgent: client.userAgent,
      via: current?.via,
    })
  if (!sessions) {
    changed(0)
    return current?.via === 'cookie' ? issuePairFor(deps, user, now, client) : null
  }
  const version = await sessions.bumpVersion(user.id, now)
  if (!current || typeof sid !== 'string') {
    changed(await sessions.revokeAll(user.id, 'password_change', now))
    return current?.via === 'cookie' ? issuePairFor(deps, user, now, client) : null
  }
  // The current session survives (Django's update_session_auth_hash) at the new version. Its refresh token stays
  // valid, so a refresh racing this request in another tab of the same browser cannot log it out; a browser gets an
  // access token of the new version at once, a Bearer client at its next refresh.
  changed(await sessions.revokeAll(user.id, 'password_change', now, sid))
  await sessions.rebind(sid, user.id, version)
  return current.via === 'cookie'
    ? { access: sessions.reissueAccess(current.token, version, now), refresh: null }
    : null
}

async function loadUserForRefresh(deps: FlowDeps, token: VerifiedToken): Promise<User | null> {
  try {
    // A refresh always reads the user, with `statelessUser` too (simplejwt ≥ 5.3's TokenRefreshSerializer does the
    // same): a user deactivated or deleted in the database mints nothing more, once every access-token lifetime.
    const settings = deps.settings.statelessUser
      ? { ...deps.settings, statelessUser: false }
      : deps.settings
    const user = await loadUser(settings, token, { users: deps.users })
    return 'isTokenUser' in user ? null : user
  } catch (error) {
    // A deleted or deactivated user's refresh tokens mint nothing.
    if (error instanceof AuthError)
      throw new AuthError('token_not_valid', 'Token is invalid or expired', { cause: error })
    throw error
  }
}

async function recordRefresh(
  deps: FlowDeps,
  refresh: IssuedToken,
  userId: UserId | null,
  now: Date,
): Promise<void> {
  await recordIssuedRefresh(deps.tokens, refresh, userId, now)
}

/** The user id a token names, when it names one (`userIdField: 'id'`) of the user table's id type. */
function tokenUserId(settings: AuthSettings, token: VerifiedToken): UserId | null {
  return settings.userIdField === 'id' ? parseUserId(settings.userTable.idType, token.userId) : null
}

function blacklisted(): AuthError {
  return new AuthError('token_not_valid', 'Token is blacklisted')
}
