import {
  AuthError,
  ValidationError,
  type AuthSettings,
  type PasswordHashers,
  type User,
  type UserId,
} from '@cookiejwt/core'
import { REAUTH_WRONG_PASSWORD } from '../reauth.js'
import { checkPasswordAttempt, ThrottledError, type LoginThrottle } from '../throttle/lockout.js'
import { generateBackupCodes, normalizeBackupCode } from './backup-codes.js'
import { isMfaRequiredFor } from './required.js'
import type { MfaKeyRing } from './key-ring.js'
import type { KyselyMfaStore } from './store.js'
import type { CodeAttempt, CodeLockoutScope, CodeThrottle } from './throttle.js'
import { generateTotpSecret, totpUri, verifyTotpCode } from './totp.js'

/** What the second-factor flows need. */
export interface MfaDeps {
  readonly settings: AuthSettings
  readonly store: KyselyMfaStore
  readonly keyRing: MfaKeyRing
  readonly hashers: PasswordHashers
  readonly codeThrottle: CodeThrottle
  /** Wrong passwords when turning TOTP off count like failed logins of that username; without it, not counted. */
  readonly loginThrottle?: LoginThrottle
  /** Security events (no secret, code or key in them); e.g. a secret no key of the ring opens any more. */
  readonly onEvent?: (event: MfaEvent) => void
}

/** A second-factor event worth a security log line (never a secret, a code or a key in it). */
export type MfaEvent =
  | { event: 'mfa_secret_unreadable'; userId: UserId }
  | {
      event: 'mfa_enabled' | 'mfa_disabled' | 'mfa_backup_codes_regenerated'
      userId: UserId
      ip: string
    }
  | { event: 'mfa_backup_code_used'; userId: UserId; ip: string }
  /** A wrong code; `locked` names the limits it reached (the next code is refused). */
  | { event: 'mfa_failed'; userId: UserId; ip: string; locked: CodeLockoutScope[] }
  | { event: 'mfa_throttled'; userId: UserId; ip: string; retryAfter: number }

/** The request a flow runs for: its time and client IP. */
export interface MfaContext {
  readonly now: Date
  readonly ip: string
}

/** A user's second-factor state, as the security settings page shows it. */
export interface TotpStatus {
  /** A confirmed authenticator: logins need a code. */
  readonly enabled: boolean
  /** A setup waits for its first code. */
  readonly pending: boolean
  /** Unused backup codes. */
  readonly backupCodesRemaining: number
}

/** 403 of `POST /api/auth/mfa/totp/disable/` for a user `mfa.required` covers. */
export const MFA_CANNOT_BE_TURNED_OFF =
  'Two-factor authentication is required for this account and cannot be turned off.'

/** Message of every refused code: wrong, expired, already used or malformed look alike. */
export const INVALID_CODE = 'The code is invalid or was already used.'
const TOTP_CODE = /^\d{6}$/

/** The user's second-factor state. */
export async function totpStatus(deps: MfaDeps, userId: UserId): Promise<TotpStatus> {
  const device = await deps.store.findDevice(userId)
  const enabled = device?.confirmedAt != null
  return {
    enabled,
    pending: device !== null && !enabled,
    backupCodesRemaining: enabled ? await deps.store.countBackupCodes(userId) : 0,
  }
}

/** Whether a login of this user needs the second step. */
export async function isTotpEnabled(deps: MfaDeps, userId: UserId): Promise<boolean> {
  return (await deps.store.findDevice(userId))?.confirmedAt != null
}

/**
 * Starts an enrolment: a new secret, generated here and stored sealed, pending until `confirmTotp`. A new setup
 * replaces a pending one. Throws `mfa_already_enabled` when TOTP is on. Returns the secret once, for the QR code.
 */
export async function setupTotp(
  deps: MfaDeps,
  user: User,
  context: MfaContext,
): Promise<{ secret: string; otpauthUrl: string }> {
  const secret = generateTotpSecret()
  const saved = await deps.store.savePending(
    user.id,
    deps.keyRing.seal(secret, sealContext(user.id)),
    context.now,
  )
  if (!saved) throw alreadyEnabled()
  return { secret, otpauthUrl: totpUri(secret, deps.settings.mfa.issuer, user.username) }
}

/**
 * Confirms the pending enrolment with a code from the authenticator, turns TOTP on and issues ten backup codes
 * (returned once, stored as digests). Wrong codes are throttled like login codes.
 */
export async function confirmTotp(
  deps: MfaDeps,
  user: User,
  code: string,
  context: MfaContext,
): Promise<{ backupCodes: string[] }> {
  return countedGuess(deps, user.id, context, async () => {
    const device = await deps.store.findDevice(user.id)
    if (!device)
      throw new AuthError('mfa_not_enabled', 'No TOTP setup is pending; start one first.')
    if (device.confirmedAt) throw alreadyEnabled()
    const opened = openSecret(deps, user.id, device.sealedSecret)
    const step = opened
      ? await verifyTotpCode(opened.plaintext, compact(code), context.now, device.lastUsedStep)
      : null
    if (step === null) return null
    const backupCodes = generateBackupCodes()
    // Confirms exactly the setup this code was checked against; a setup started meanwhile makes this one void.
    if (
      !(await deps.store.confirm(
        user.id,
        device.sealedSecret,
        step,
        digestCodes(deps, user.id, backupCodes),
        context.now,
      ))
    ) {
      return null
    }
    deps.onEvent?.({ event: 'mfa_enabled', userId: user.id, ip: context.ip })
    return { backupCodes }
  })
}

/**
 * The second step of a login: a TOTP code (six digits, ±1 time step, each step accepted once) or an unused backup
 * code (spent). Throws 400 `{"code": [INVALID_CODE]}` for anything else and counts it; 429 once throttled;
 * `mfa_not_enabled` when the user has no confirmed authenticator.
 */
export async function verifySecondFactor(
  deps: MfaDeps,
  user: User,
  code: string,
  context: MfaContext,
): Promise<{ method: 'totp' | 'backup_code' }> {
  return countedGuess(deps, user.id, context, async () => {
    const device = await deps.store.findDevice(user.id)
    if (!device?.confirmedAt)
      throw new AuthError(
        'mfa_not_enabled',
        'Two-factor authentication is not on for this account.',
      )
    const typed = compact(code)
    if (TOTP_CODE.test(typed)) {
      const opened = openSecret(deps, user.id, device.sealedSecret)
      const step = opened
        ? await verifyTotpCode(opened.plaintext, typed, context.now, device.lastUsedStep)
        : null
      if (step === null) return null
      // A secret sealed by an older key is sealed again under the current one, in the statement that spends the step.
      const resealed =
        opened!.keyId !== deps.keyRing.currentKeyId
          ? deps.keyRing.seal(opened!.plaintext, sealContext(user.id))
          : undefined
      return (await deps.store.useStep(user.id, step, resealed))
        ? { method: 'totp' as const }
        : null
    }
    const backup = normalizeBackupCode(code)
    if (backup === null) return null
    const digests = deps.keyRing.candidateDigests(backupInput(user.id, backup))
    if (!(await deps.store.useBackupCode(user.id, digests, context.now))) return null
    deps.onEvent?.({ event: 'mfa_backup_code_used', userId: user.id, ip: context.ip })
    return { method: 'backup_code' as const }
  })
}

/**
 * Turns TOTP off after re-authentication with the password: removes the authenticator (pending or confirmed) and
 * every backup code. A wrong password is 400 `{"password": [...]}` and counts as a failed login of the username.
 */
export async function disableTotp(
  deps: MfaDeps,
  user: User,
  password: string,
  context: MfaContext,
): Promise<void> {
  // Under `mfa.required` the account's own session cannot drop its factor; an operator can (`cookiejwt mfa disable`).
  if (isMfaRequiredFor(deps.settings, user))
    throw new AuthError('permission_denied', MFA_CANNOT_BE_TURNED_OFF)
  await checkPassword(deps, user, password, context)
  if (!(await deps.store.remove(user.id)))
    throw new AuthError('mfa_not_enabled', 'Two-factor authentication is not on.')
  deps.onEvent?.({ event: 'mfa_disabled', userId: user.id, ip: context.ip })
}

/** Replaces the user's backup codes with ten new ones after re-authentication with the password. */
export async function regenerateBackupCodes(
  deps: MfaDeps,
  user: User,
  password: string,
  context: MfaContext,
): Promise<{ backupCodes: string[] }> {
  await checkPassword(deps, user, password, context)
  if (!(await isTotpEnabled(deps, user.id)))
    throw new AuthError('mfa_not_enabled', 'Two-factor authentication is not on.')
  const backupCodes = generateBackupCodes()
  await deps.store.replaceBackupCodes(user.id, digestCodes(deps, user.id, backupCodes), context.now)
  deps.onEvent?.({ event: 'mfa_backup_codes_regenerated', userId: user.id, ip: context.ip })
  return { backupCodes }
}

async function checkPassword(
  deps: MfaDeps,
  user: User,
  password: string,
  context: MfaContext,
): Promise<void> {
  const { valid } = await checkPasswordAttempt(
    deps.loginThrottle,
    deps.hashers,
    user,
    password,
    context.ip,
  )
  if (!valid) throw new ValidationError({ password: [REAUTH_WRONG_PASSWORD] })
}

/**
 * Runs one guess at a code under the code throttle: counted before `check` runs, kept as a failure when `check`
 * returns null (then 400 `{"code": [INVALID_CODE]}`), taken back when `check` throws (no verdict on the code).
 */
async function countedGuess<T>(
  deps: MfaDeps,
  userId: UserId,
  context: MfaContext,
  check: () => Promise<T | null>,
): Promise<T> {
  let attempt: CodeAttempt
  try {
    attempt = await deps.codeThrottle.begin(userId, context.ip)
  } catch (error) {
    if (error instanceof ThrottledError) {
      deps.onEvent?.({
        event: 'mfa_throttled',
        userId,
        ip: context.ip,
        retryAfter: error.retryAfter,
      })
    }
    throw error
  }
  let result: T | null
  try {
    result = await check()
  } catch (error) {
    await attempt.abandoned()
    throw error
  }
  if (result === null) {
    const locked = await attempt.failed()
    deps.onEvent?.({ event: 'mfa_failed', userId, ip: context.ip, locked })
    throw new ValidationError({ code: [INVALID_CODE] })
  }
  await attempt.succeeded()
  return result
}

function openSecret(
  deps: MfaDeps,
  userId: UserId,
  sealed: string,
): { plaintext: string; keyId: string } | null {
  const opened = deps.keyRing.open(sealed, sealContext(userId))
  if (!opened) deps.onEvent?.({ event: 'mfa_secret_unreadable', userId })
  return opened
}

function digestCodes(deps: MfaDeps, userId: UserId, codes: readonly string[]): string[] {
  return codes.map((c) => deps.keyRing.digest(backupInput(userId, normalizeBackupCode(c)!)))
}

function alreadyEnabled(): AuthError {
  return new AuthError(
    'mfa_already_enabled',
    'Two-factor authentication is already on; turn it off first.',
  )
}

// Binds a sealed secret to its user: a secret copied into another user's row does not open (AES-GCM AAD).
function sealContext(userId: UserId): string {
  return `totp:${userId}`
}

// Binds a backup-code digest to its user, so equal codes of two users have different digests.
function backupInput(userId: UserId, code: string): string {
  return `backup:${userId}:${code}`
}

// Authenticator apps show "123 456"; people type it so.
function compact(code: string): string {
  return code.length <= 64 ? code.replace(/\s/g, '') : code
}
