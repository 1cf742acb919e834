import { AuthError, issueToken, verifyToken, type IssuedToken, type User } from '@cookiejwt/core'
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
  const { settings, users } = deps.flow
  const now = deps.flow.now?.() ?? new Date()
  const token = verifyToken(settings, rawToken, 'mfa', { now })
  // Loaded from the database even with `statelessUser`: the second factor is stored with the user.
  const user =
    settings.userIdField === 'id'
      ? await users.findById(token.userId)
      : await users.findByUsername(String(token.userId))
  // A deleted or deactivated user's pending login ends here, as a refresh would.
  if (!user || !settings.userAuthenticationRule(user))
    throw new AuthError('token_not_valid', 'Token is invalid or expired')
  // The token is claimed before its code is checked, so of two requests with one token only one checks (and spends)
  // a code; a wrong code gives the claim back (a typo must not end the login), a right one keeps it for good.
  const key = `mfa:t:${token.jti}`
  const left = Math.max(1000, token.exp * 1000 - now.getTime() + settings.leeway * 1000)
  const { count } = await deps.spent.hit(key, left)
  if (count > 1) {
    await deps.spent.release(key)
    throw new AuthError('token_not_valid', 'Token was already used')
  }
  let method: 'totp' | 'backup_code'
  try {
    ;({ method } = await verifySecondFactor(deps.mfa, user, code, { now, ip: client.ip ?? '' }))
  } catch (error) {
    await deps.spent.release(key)
    throw error
  }
  return { ...(await completeLoginWithUser(deps.flow, user, client)), method }
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
