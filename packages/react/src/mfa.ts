import type { AuthClient } from './client.js'

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
