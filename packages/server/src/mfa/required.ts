import {
  AuthError,
  issueToken,
  serializeClearedAuthCookies,
  serializeMfaCookie,
  type AuthSettings,
  type IssuedToken,
  type User,
} from '@cookiejwt/core'
import type { KyselyMfaStore } from './store.js'

/** What the requirement check reads: whether a user has a confirmed authenticator (`MfaDeps` has it). */
export interface MfaEnrollmentDeps {
  readonly store: Pick<KyselyMfaStore, 'findDevice'>
}

/** 403 `mfa_enrollment_required` at a login: the password was right, but the account must enrol TOTP first. */
export const ENROLL_TO_SIGN_IN =
  'Two-factor authentication is required for this account: set it up to finish signing in.'
/** 403 `mfa_enrollment_required` at a refresh: the session ends; the next login leads to the enrolment. */
export const ENROLL_AFTER_SIGN_IN =
  'Two-factor authentication is required for this account: sign in again to set it up.'

/**
 * The refusal of a session to a user who must enrol TOTP first (`mfa.required`). At a login it carries the
 * enrolment token (`token_type: "mfa_enrollment"`, good only for the enrolment endpoints) and the cookies of the
 * cookie flow: the token in the `mfa_token` cookie, the JWT cookies cleared. The Bearer flow sends the token in the
 * body instead; the rendered error never shows it.
 */
export class MfaEnrollmentRequiredError extends AuthError {
  readonly enrollmentToken: IssuedToken | null
  /** `Set-Cookie` values of the response (the service sends an error's `cookies`). */
  readonly cookies: string[]

  constructor(message: string, enrollmentToken: IssuedToken | null, cookies: string[]) {
    super('mfa_enrollment_required', message)
    this.name = 'AuthError'
    this.enrollmentToken = enrollmentToken
    this.cookies = cookies
  }
}

/** Whether `mfa.required` covers this user: nobody, staff (`is_staff` or `is_superuser`), or everyone. */
export function isMfaRequiredFor(settings: AuthSettings, user: User | null): boolean {
  const required = settings.mfa.required
  if (required === 'none') return false
  if (required === 'all' || user === null) return true
  return user.isStaff || user.isSuperuser
}

/**
 * Whether this user may not have a session yet: covered by `mfa.required` and without a confirmed authenticator.
 * Without the second factor's dependencies nothing can be checked, so a covered user is refused (fail closed).
 */
export async function mustEnrollMfa(
  settings: AuthSettings,
  mfa: MfaEnrollmentDeps | undefined,
  user: User | null,
): Promise<boolean> {
  if (!isMfaRequiredFor(settings, user)) return false
  if (!mfa || user === null) return true
  // As isTotpEnabled (flows.ts), which imports this module: a confirmed authenticator.
  return (await mfa.store.findDevice(user.id))?.confirmedAt == null
}

/** The refusal of a login (password or code step passed) with a fresh enrolment token for `user`. */
export function enrollmentRequiredAtLogin(
  settings: AuthSettings,
  user: User,
  now: Date,
): MfaEnrollmentRequiredError {
  const token = issueToken(
    settings,
    'mfa_enrollment',
    { [settings.userIdClaim]: settings.userIdField === 'id' ? user.id : user.username },
    now,
  )
  // As the two-step login: only the enrolment token, and cookies of an earlier session in this browser go.
  return new MfaEnrollmentRequiredError(ENROLL_TO_SIGN_IN, token, [
    serializeMfaCookie(settings, token.token),
    ...serializeClearedAuthCookies(settings),
  ])
}
