import {
  AuthError,
  issueToken,
  verifyToken,
  type IssuedToken,
  type User,
  type VerifiedToken,
} from '@cookiejwt/core'
import {
  authenticateWithPassword,
  completeLoginWithUser,
  type FlowDeps,
  type IssuedPair,
} from '../flows.js'
import type { ThrottleStore } from '../throttle/throttle-store.js'
import { logSecurityEvent } from '../security-log.js'
import type { ClientInfo } from '../sessions/manager.js'
import { isTotpEnabled, verifySecondFactor, type MfaDeps } from './flows.js'

/** What a two-step login needs: the login flow, the second factor, and a store that remembers spent `mfa` tokens. */
export interface MfaLoginDeps {
  readonly flow: FlowDeps
  readonly mfa: MfaDeps
  /** Marks `mfa` tokens used once they completed a login (the throttle store: Redis or the database). */
  readonly spent: ThrottleStore
}

/** The outcome of the password step: a finished login, or the `mfa` token for the code step. */
export type PasswordStepResult =
  | { readonly mfaRequired: false; readonly user: User; readonly pair: IssuedPair }
  | { readonly mfaRequired: true; readonly user: User; readonly mfaToken: IssuedToken }

/**
 * The password step of a login (cookie and Bearer flows alike): wrong credentials fail exactly as without a second
 * factor; a user with TOTP on gets no tokens, only a short-lived `mfa` token (`token_type: "mfa"`, which no other
 * endpoint accepts) for `finishMfaLogin`.
 */
export async function beginMfaLogin(
  deps: MfaLoginDeps,
  username: string,
  password: string,
  client: ClientInfo = {},
): Promise<PasswordStepResult> {
  const user = await authenticateWithPassword(deps.flow, username, password, client)
  if (!(await isTotpEnabled(deps.mfa, user.id))) {
    return { mfaRequired: false, ...(await completeLoginWithUser(deps.flow, user, client)) }
  }
  const mfaToken = issueMfaToken(deps, user)
  logSecurityEvent(deps.flow.log, 'mfa_required', {
    userId: user.id,
    jti: mfaToken.jti,
    ip: client.ip,
    userAgent: client.userAgent,
  })
  return { mfaRequired: true, user, mfaToken }
}

/**
 * The code step: checks the `mfa` token (signature, type, expiry, its user still active), then the code (TOTP or
 * backup code, throttled), spends the token and finishes the login. An `mfa` token completes one login only.
 */
export async function finishMfaLogin(
  deps: MfaLoginDeps,
  rawToken: string,
  code: string,
  client: ClientInfo = {},
): Promise<{ user: User; pair: IssuedPair; method: 'totp' | 'backup_code' }> {
  const now = deps.flow.now?.() ?? new Date()
  const { token, user } = await verifyStepToken(deps, rawToken, 'mfa', now)
  const release = await claimStepToken(deps, token, now)
  let method: 'totp' | 'backup_code'
  try {
    ;({ method } = await verifySecondFactor(deps.mfa, user, code, { now, ip: client.ip ?? '' }))
  } catch (error) {
    await release()
    throw error
  }
  return { ...(await completeLoginWithUser(deps.flow, user, client)), method }
}

/**
 * Verifies the token of a login's pending step (`mfa`: the code, `mfa_enrollment`: the enrolment) and loads its user,
 * from the database even with `statelessUser` (the second factor is stored with the user). A deleted or deactivated
 * user's pending login ends here, as a refresh would.
 */
export async function verifyStepToken(
  deps: MfaLoginDeps,
  rawToken: string,
  type: 'mfa' | 'mfa_enrollment',
  now: Date,
): Promise<{ token: VerifiedToken; user: User }> {
  const { settings, users } = deps.flow
  const token = verifyToken(settings, rawToken, type, { now })
  const user =
    settings.userIdField === 'id'
      ? await users.findById(token.userId)
      : await users.findByUsername(String(token.userId))
  if (!user || !settings.userAuthenticationRule(user))
    throw new AuthError('token_not_valid', 'Token is invalid or expired')
  return { token, user }
}

/**
 * Claims a step token before its code is checked, so of two requests with one token only one checks (and spends) a
 * code; a wrong code gives the claim back (the returned function: a typo must not end the login), a right one keeps
 * it for good. Throws `token_not_valid` for a token already spent.
 */
export async function claimStepToken(
  deps: MfaLoginDeps,
  token: VerifiedToken,
  now: Date,
): Promise<() => Promise<void>> {
  const key = spentKey(token)
  const left = Math.max(1000, token.exp * 1000 - now.getTime() + deps.flow.settings.leeway * 1000)
  const { count } = await deps.spent.hit(key, left)
  if (count > 1) {
    await deps.spent.release(key)
    throw new AuthError('token_not_valid', 'Token was already used')
  }
  return () => deps.spent.release(key)
}

/** Whether a step token completed its login already (its claim is kept). */
export async function isStepTokenSpent(deps: MfaLoginDeps, token: VerifiedToken): Promise<boolean> {
  return ((await deps.spent.peek(spentKey(token)))?.count ?? 0) > 0
}

function spentKey(token: VerifiedToken): string {
  return `mfa:t:${token.jti}`
}

function issueMfaToken(deps: MfaLoginDeps, user: User): IssuedToken {
  const { settings } = deps.flow
  const now = deps.flow.now?.() ?? new Date()
  return issueToken(
    settings,
    'mfa',
    { [settings.userIdClaim]: settings.userIdField === 'id' ? user.id : user.username },
    now,
  )
}
