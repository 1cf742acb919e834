import type { UserId } from '@cookiejwt/core'
import { createHash } from 'node:crypto'

/** A pino-compatible logger (pino, Fastify's `app.log`, or anything with these two methods). */
export interface SecurityLogger {
  info(object: object, message?: string): void
  warn(object: object, message?: string): void
}

/**
 * The stable names of cookiejwt's security events, the `event` field of each record (docs/security.md lists the
 * fields of each). Renaming one is a breaking change: alerting rules match on them.
 */
export type SecurityEventName =
  | 'login_succeeded'
  | 'login_failed'
  | 'login_throttled'
  | 'lockout'
  | 'refresh_token_reuse'
  | 'session_revoked'
  | 'password_changed'
  | 'reauthenticated'
  | 'reauthentication_required'
  | 'reauthentication_failed'
  | 'user_sessions_ended'
  | 'access_denied'
  | 'signing_key_rotated'
  | 'signing_key_activated'
  | 'signing_keys_generated'
  | 'mfa_required'
  | 'mfa_enrollment_required'
  | 'mfa_failed'
  | 'mfa_throttled'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'mfa_backup_code_used'
  | 'mfa_backup_codes_regenerated'
  | 'mfa_secret_unreadable'

/** Warnings are what an operator should look at; the rest is the audit trail. */
const WARN: ReadonlySet<SecurityEventName> = new Set([
  'login_throttled',
  'lockout',
  'refresh_token_reuse',
  'reauthentication_failed',
  'mfa_throttled',
  'mfa_secret_unreadable',
  'access_denied',
])

const MESSAGES: Record<SecurityEventName, string> = {
  login_succeeded: 'login succeeded',
  login_failed: 'login failed',
  login_throttled: 'login refused: throttled',
  lockout: 'lockout: failure limit reached',
  refresh_token_reuse: 'refresh token reuse detected: session revoked',
  session_revoked: 'session revoked',
  password_changed: 'password changed: other sessions ended',
  reauthenticated: 're-authenticated for a sensitive change',
  reauthentication_required: 'sensitive change refused: re-authentication required',
  reauthentication_failed: 're-authentication failed: wrong password',
  user_sessions_ended: 'every session of the user ended by an operator',
  access_denied: 'request refused: permission denied',
  signing_key_rotated: 'signing key rotated',
  signing_key_activated: 'signing key activated',
  signing_keys_generated: 'signing key set generated',
  mfa_required: 'login: password right, second factor pending',
  mfa_enrollment_required:
    'no session: two-factor authentication is required and not set up (login: enrolment pending)',
  mfa_failed: 'second factor: wrong code',
  mfa_throttled: 'second factor refused: throttled',
  mfa_enabled: 'TOTP turned on',
  mfa_disabled: 'TOTP turned off',
  mfa_backup_code_used: 'second factor: backup code used',
  mfa_backup_codes_regenerated: 'new backup codes issued',
  mfa_secret_unreadable:
    'TOTP secret sealed by a key no longer configured (mfa.keys): its codes are refused',
}

/**
 * Fields a security record may carry. Never a token, a password, a password hash or a key: ids (user, session
 * family, `jti`, `kid`), the client's address and user agent, a reason, and a digest of an unknown username.
 */
export interface SecurityEventFields {
  readonly userId?: UserId | null | undefined
  readonly sessionId?: string | undefined
  readonly jti?: string | undefined
  readonly reason?: string | undefined
  readonly ip?: string | undefined
  readonly userAgent?: string | undefined
  /** SHA-256 prefix of the username as typed (it may be a password typed in the wrong field). */
  readonly usernameDigest?: string | undefined
  readonly scope?: readonly string[] | undefined
  readonly retryAfter?: number | undefined
  readonly count?: number | undefined
  readonly kid?: string | undefined
  readonly algorithm?: string | undefined
  readonly via?: string | undefined
  /** The request path, without its query string. */
  readonly path?: string | undefined
  readonly method?: string | undefined
}

/** Writes one security event as a structured record `{ event, security: true, ...fields }`; no logger, no record. */
export function logSecurityEvent(
  log: SecurityLogger | undefined,
  event: SecurityEventName,
  fields: SecurityEventFields = {},
): void {
  if (!log) return
  const record: Record<string, unknown> = { event, security: true }
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) record[key] = value
  if (WARN.has(event)) log.warn(record, MESSAGES[event])
  else log.info(record, MESSAGES[event])
}

/** A short, stable digest of a username as typed, to correlate attempts without recording what was typed. */
export function usernameDigest(username: string): string {
  return createHash('sha256').update(username, 'utf8').digest('hex').slice(0, 16)
}
