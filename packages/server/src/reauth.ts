import { AuthError, ValidationError, type User, type VerifiedToken } from '@cookiejwt/core'
import type { FlowDeps } from './flows.js'
import { logSecurityEvent } from './security-log.js'
import type { ClientInfo } from './sessions/manager.js'
import { AUTH_TIME_CLAIM } from './sessions/mint.js'
import { checkPasswordAttempt } from './throttle/lockout.js'

/** The 403 of a sensitive change whose session logged in too long ago and that brought no password. */
export const REAUTH_REQUIRED_MESSAGE = 'Enter your password again to do this.'
/** The field error of a wrong password given to re-authenticate. */
export const REAUTH_WRONG_PASSWORD = 'Your password was entered incorrectly. Please enter it again.'

/**
 * Re-authentication before a sensitive change (OWASP ASVS 5.0 §7.5.1, §7.5.2): passes when the request brings the
 * user's password, or when the session logged in (`auth_time`) at most `reauthWindow` seconds ago. Otherwise throws
 * `AuthError('reauthentication_required')` (403). A password that is given is always checked — a wrong one is a
 * `{"password": [...]}` 400 — and counts against the login throttle like a failed login, so a stolen session cannot
 * be used to guess the password. A token without `auth_time` (Django-issued, or older) is treated as too old.
 */
export async function requireRecentAuthentication(
  deps: FlowDeps,
  user: User,
  token: VerifiedToken,
  password: unknown,
  client: ClientInfo,
  action: string,
): Promise<void> {
  const who = { userId: user.id, ip: client.ip, userAgent: client.userAgent, reason: action }
  if (typeof password === 'string' && password.length > 0) {
    const { valid, locked } = await checkPasswordAttempt(
      deps.throttle,
      deps.hashers,
      user,
      password,
      client.ip ?? '',
    )
    if (!valid) {
      logSecurityEvent(deps.log, 'reauthentication_failed', who)
      if (locked.length > 0) logSecurityEvent(deps.log, 'lockout', { ...who, scope: locked })
      throw new ValidationError({ password: [REAUTH_WRONG_PASSWORD] })
    }
    logSecurityEvent(deps.log, 'reauthenticated', { ...who, via: 'password' })
    return
  }
  const authTime = token.payload[AUTH_TIME_CLAIM]
  const now = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000)
  const window = deps.settings.reauthWindow
  if (
    typeof authTime === 'number' &&
    window > 0 &&
    now - authTime <= window &&
    authTime <= now + 60
  )
    return
  logSecurityEvent(deps.log, 'reauthentication_required', who)
  throw new AuthError('reauthentication_required', REAUTH_REQUIRED_MESSAGE)
}
