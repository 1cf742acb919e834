import { generate, generateSecret, generateURI, verify } from 'otplib'

/** Seconds per TOTP time step (RFC 6238 §4.1 X; what every authenticator app uses). */
export const TOTP_PERIOD = 30
/** Digits of a TOTP code. */
export const TOTP_DIGITS = 6
/** Time steps accepted either side of the current one (RFC 6238 §5.2 recommends at most one). */
export const TOTP_WINDOW = 1
/** Bytes of a new TOTP secret: 160 bits, the HMAC-SHA1 output size (RFC 4226 §4 R6). */
export const TOTP_SECRET_BYTES = 20

const CODE = /^\d{6}$/

/** A fresh random TOTP secret, Base32-encoded as authenticator apps expect (otplib: a CSPRNG). */
export function generateTotpSecret(): string {
  return generateSecret({ length: TOTP_SECRET_BYTES })
}

/**
 * The `otpauth://totp/…` URL of the Key URI Format that authenticator apps scan from a QR code: label
 * `issuer:account`, SHA-1, 6 digits, 30 s — the defaults every app supports.
 */
export function totpUri(secret: string, issuer: string, account: string): string {
  return generateURI({
    issuer,
    label: account,
    secret,
    algorithm: 'sha1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
  })
}

/** The RFC 6238 time step of an instant: floor(unix seconds / 30). */
export function totpStep(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD)
}

/** The code for `secret` at `now` (tests and the demo's e2e compute codes with it). */
export function generateTotpCode(secret: string, now: Date): Promise<string> {
  return generate({
    secret,
    epoch: Math.floor(now.getTime() / 1000),
    period: TOTP_PERIOD,
    digits: TOTP_DIGITS,
  })
}

/**
 * Checks a code against `secret` at `now` within ±`TOTP_WINDOW` steps, refusing every step at or before
 * `afterStep` (the last one accepted: replay protection, RFC 6238 §5.2). Returns the matching time step, or null.
 * Compares in constant time (otplib); a malformed code is null, never an exception.
 */
export async function verifyTotpCode(
  secret: string,
  code: string,
  now: Date,
  afterStep: number | null,
): Promise<number | null> {
  if (!CODE.test(code)) return null
  const epoch = Math.floor(now.getTime() / 1000)
  const newest = totpStep(now) + TOTP_WINDOW
  // Every step of the window is already used (or the clock went back): nothing can match, and otplib refuses an
  // `afterTimeStep` past the window with an exception.
  if (afterStep !== null && afterStep >= newest) return null
  const result = await verify({
    secret,
    token: code,
    epoch,
    period: TOTP_PERIOD,
    digits: TOTP_DIGITS,
    epochTolerance: TOTP_WINDOW * TOTP_PERIOD,
    ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
  })
  return result.valid && 'timeStep' in result ? result.timeStep : null
}
