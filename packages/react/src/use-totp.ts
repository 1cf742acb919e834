import { useCallback, useEffect, useMemo, useState } from 'react'
import type { ApiError } from './errors.js'
import { totpApi, type TotpSetup, type TotpStatus } from './mfa.js'
import { useAuth } from './use-auth.js'

/** What {@link useTotp} returns. */
export interface UseTotp {
  /** The user's second factor; null until loaded (or when loading failed: see `error`). */
  status: TotpStatus | null
  /** Why the last load failed; null otherwise. */
  error: ApiError | null
  /** The enrolment in progress (secret and otpauth URL for the QR code), from `setup()` until `confirm()`. */
  setup: TotpSetup | null
  /** The backup codes of the last `confirm()` or `regenerateBackupCodes()`: show them once, then `dismissCodes()`. */
  backupCodes: string[] | null
  /** Starts an enrolment (`password` when the server asked for it with `reauthentication_required`). */
  begin(password?: string): Promise<TotpSetup>
  /** Confirms the enrolment with a code; TOTP is then on and `backupCodes` are set. */
  confirm(code: string): Promise<string[]>
  /** Turns TOTP off with the password. */
  disable(password: string): Promise<void>
  /** New backup codes with the password. */
  regenerateBackupCodes(password: string): Promise<string[]>
  /** Forgets the shown backup codes. */
  dismissCodes(): void
  /** Loads the status again. */
  reload(): Promise<void>
}

/**
 * The signed-in user's TOTP second factor for a security settings page: status, enrolment (`begin` → show the QR of
 * `setup.otpauth_url` → `confirm(code)`), backup codes and turning it off. Calls reject with an `ApiError`
 * (field errors under `code` or `password`); the state follows every call that succeeded.
 */
export function useTotp(): UseTotp {
  const { api, user } = useAuth()
  const calls = useMemo(() => totpApi(api), [api])
  const [status, setStatus] = useState<TotpStatus | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [setup, setSetup] = useState<TotpSetup | null>(null)
  const [backupCodes, setBackupCodes] = useState<string[] | null>(null)

  const reload = useCallback(async () => {
    try {
      setStatus(await calls.status())
      setError(null)
    } catch (e) {
      setError(e as ApiError)
    }
  }, [calls])

  useEffect(() => {
    setSetup(null)
    setBackupCodes(null)
    if (user) void reload()
    else setStatus(null)
  }, [user?.id, reload])

  return {
    status,
    error,
    setup,
    backupCodes,
    async begin(password) {
      const started = await calls.setup(password)
      setSetup(started)
      setBackupCodes(null)
      setStatus((s) => (s ? { ...s, pending: true } : s))
      return started
    },
    async confirm(code) {
      const codes = await calls.confirm(code)
      setSetup(null)
      setBackupCodes(codes)
      setStatus({ enabled: true, pending: false, backup_codes_remaining: codes.length })
      return codes
    },
    async disable(password) {
      await calls.disable(password)
      setSetup(null)
      setBackupCodes(null)
      setStatus({ enabled: false, pending: false, backup_codes_remaining: 0 })
    },
    async regenerateBackupCodes(password) {
      const codes = await calls.regenerateBackupCodes(password)
      setBackupCodes(codes)
      setStatus((s) => (s ? { ...s, backup_codes_remaining: codes.length } : s))
      return codes
    },
    dismissCodes: () => setBackupCodes(null),
    reload,
  }
}
