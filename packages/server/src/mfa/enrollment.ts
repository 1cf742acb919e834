import { AuthError, type User } from '@cookiejwt/core'
import { completeLoginWithUser, type IssuedPair } from '../flows.js'
import type { ClientInfo } from '../sessions/manager.js'
import { confirmTotp, setupTotp } from './flows.js'
import { claimStepToken, isStepTokenSpent, verifyStepToken, type MfaLoginDeps } from './login.js'

/**
 * The enrolment a login leads to when `mfa.required` covers a user without TOTP: the login's password step answered
 * 403 `mfa_enrollment_required` with an enrolment token (`token_type: "mfa_enrollment"`, `mfa.tokenLifetime`); with
 * it, and nothing else, the user starts a setup (`beginEnrollment`, as often as needed: a new one replaces the
 * pending one) and confirms it with a first code (`finishEnrollment`), which turns TOTP on and finishes the login.
 * The token proves a password step minutes ago, as the recent login the signed-in setup asks for. No other endpoint
 * accepts it, and no session exists before the confirmation.
 */
export async function beginEnrollment(
  deps: MfaLoginDeps,
  rawToken: string,
  client: ClientInfo = {},
): Promise<{ secret: string; otpauthUrl: string }> {
  const now = deps.flow.now?.() ?? new Date()
  const { token, user } = await verifyStepToken(deps, rawToken, 'mfa_enrollment', now)
  // A token that finished its login starts nothing more.
  if (await isStepTokenSpent(deps, token))
    throw new AuthError('token_not_valid', 'Token was already used')
  return setupTotp(deps.mfa, user, { now, ip: client.ip ?? '' })
}

/**
 * Confirms the pending setup with a code from the authenticator (throttled as login codes; a wrong code keeps the
 * token for the next try), turns TOTP on and finishes the login: the pair, and the ten backup codes, shown once. The
 * token is spent: it finishes one login only.
 */
export async function finishEnrollment(
  deps: MfaLoginDeps,
  rawToken: string,
  code: string,
  client: ClientInfo = {},
): Promise<{ user: User; pair: IssuedPair; backupCodes: string[] }> {
  const now = deps.flow.now?.() ?? new Date()
  const { token, user } = await verifyStepToken(deps, rawToken, 'mfa_enrollment', now)
  const release = await claimStepToken(deps, token, now)
  let backupCodes: string[]
  try {
    ;({ backupCodes } = await confirmTotp(deps.mfa, user, code, { now, ip: client.ip ?? '' }))
  } catch (error) {
    await release()
    throw error
  }
  return { ...(await completeLoginWithUser(deps.flow, user, client)), backupCodes }
}
