import type { AuthClient } from './client.js'
import type { User } from './types.js'

/** `GET /api/auth/mfa/totp/`: the signed-in user's second factor. */
export interface TotpStatus {
  /** TOTP is on: logins need a code. */
  enabled: boolean
  /** A setup waits for its first code. */
  pending: boolean
  /** Unused backup codes left. */
  backup_codes_remaining: number
}

/** `POST /api/auth/mfa/totp/setup/`: the new secret (for typing in) and its `otpauth://` URL (for the QR code). */
export interface TotpSetup {
  secret: string
  otpauth_url: string
}

/** API paths of the TOTP endpoints. */
export interface TotpPaths {
  status: string
  setup: string
  confirm: string
  disable: string
  backupCodes: string
}

/** Default TOTP paths, as in the cookiejwt HTTP contract. */
export const DEFAULT_TOTP_PATHS: TotpPaths = {
  status: '/api/auth/mfa/totp/',
  setup: '/api/auth/mfa/totp/setup/',
  confirm: '/api/auth/mfa/totp/confirm/',
  disable: '/api/auth/mfa/totp/disable/',
  backupCodes: '/api/auth/mfa/totp/backup-codes/',
}

/** The TOTP calls, over an {@link AuthClient} (cookies, CSRF and refresh-on-401 included). */
export interface TotpApi {
  status(): Promise<TotpStatus>
  /**
   * Starts an enrolment; a new one replaces a pending one. A session that logged in long ago is refused with
   * `reauthentication_required` (403): ask for the password and call again with it.
   */
  setup(password?: string): Promise<TotpSetup>
  /** Confirms the enrolment with a code from the app; resolves to the ten backup codes (shown once). */
  confirm(code: string): Promise<string[]>
  /** Turns TOTP off; needs the password. */
  disable(password: string): Promise<void>
  /** Replaces the backup codes with ten new ones; needs the password. */
  regenerateBackupCodes(password: string): Promise<string[]>
}

/**
 * The TOTP calls of the HTTP contract for a client.
 * @example const codes = await totpApi(api).confirm('123456')
 */
export function totpApi(client: AuthClient, paths: Partial<TotpPaths> = {}): TotpApi {
  const p = { ...DEFAULT_TOTP_PATHS, ...paths }
  const post = <T>(path: string, json?: unknown) =>
    client.request<T>(path, { method: 'POST', json: json ?? {} })
  return {
    status: () => client.request<TotpStatus>(p.status),
    setup: (password) => post<TotpSetup>(p.setup, password ? { password } : {}),
    confirm: async (code) =>
      (await post<{ backup_codes: string[] }>(p.confirm, { code })).backup_codes,
    disable: async (password) => {
      await post(p.disable, { password })
    },
    regenerateBackupCodes: async (password) =>
      (await post<{ backup_codes: string[] }>(p.backupCodes, { password })).backup_codes,
  }
}

/** API paths of the enrolment a login leads to when the server requires TOTP (`mfa_enrollment_required`). */
export interface EnrollmentPaths {
  setup: string
  confirm: string
}

/** Default enrolment paths, as in the cookiejwt HTTP contract (cookie flow). */
export const DEFAULT_ENROLLMENT_PATHS: EnrollmentPaths = {
  setup: '/api/auth/login/mfa/setup/',
  confirm: '/api/auth/login/mfa/confirm/',
}

/** A finished enrolment: the signed-in user, the access token's expiry and the ten backup codes (shown once). */
export interface EnrollmentResult {
  user: User
  accessExpires: string | null
  backupCodes: string[]
}

/**
 * The enrolment a login asked for: `login()` rejected with an `ApiError` of code `mfa_enrollment_required`, and
 * the browser holds the enrolment cookie (5 minutes). `setup()` as often as needed, then `confirm(code)`: the login
 * cookies are set, but the app learns of the sign-in only from `client.signedIn(result.user, result.accessExpires)`,
 * so that it can show the backup codes first.
 */
export interface EnrollmentApi {
  setup(): Promise<TotpSetup>
  confirm(code: string): Promise<EnrollmentResult>
}

/**
 * The enrolment calls of the HTTP contract for a client; nothing is retried (there is no session to refresh).
 * @example const { secret } = await enrollmentApi(api).setup()
 */
export function enrollmentApi(
  client: AuthClient,
  paths: Partial<EnrollmentPaths> = {},
): EnrollmentApi {
  const p = { ...DEFAULT_ENROLLMENT_PATHS, ...paths }
  const post = <T>(path: string, json: unknown) =>
    client.request<T>(path, { method: 'POST', json, retry: false })
  return {
    setup: () => post<TotpSetup>(p.setup, {}),
    confirm: async (code) => {
      const data = await post<{ user: User; access_expires?: string; backup_codes: string[] }>(
        p.confirm,
        { code },
      )
      return {
        user: data.user,
        accessExpires: data.access_expires ?? null,
        backupCodes: data.backup_codes,
      }
    },
  }
}
