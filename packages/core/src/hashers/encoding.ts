import { randomInt, timingSafeEqual } from 'node:crypto'

/** Django's `RANDOM_STRING_CHARS`: the alphabet of its salts and unusable-password suffixes. */
export const RANDOM_STRING_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/**
 * Longest password the hashers accept, in UTF-16 code units. Django sets no limit; its hashers
 * (and ours) cost O(length) once per hash, so this cap only bounds memory and work per request.
 * 4096 is the cap Django itself used after CVE-2013-1443. Longer passwords are never valid and
 * `hash()` refuses them with a `RangeError`; callers should reject them earlier with a 400.
 */
export const MAX_PASSWORD_LENGTH = 4096

/** Django's salt: 22 characters of `RANDOM_STRING_CHARS` ≈ 131 bits, above its 128-bit floor. */
export const SALT_LENGTH = 22

/** Django's `get_random_string()`: `length` characters from `RANDOM_STRING_CHARS`, unbiased. */
export function getRandomString(length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += RANDOM_STRING_CHARS[randomInt(RANDOM_STRING_CHARS.length)]
  return out
}

/**
 * The UTF-8 bytes of a password, or `null` when the policy refuses it: not a string, longer than
 * {@link MAX_PASSWORD_LENGTH}, or not well-formed UTF-16 (a lone surrogate would otherwise be
 * replaced by U+FFFD, so two different strings would share a hash; Python cannot encode them).
 */
export function passwordBytes(password: unknown): Buffer | null {
  if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) return null
  if (!isWellFormed(password)) return null
  return Buffer.from(password, 'utf8')
}

/** Like {@link passwordBytes} but throws a `RangeError` (used when writing a new hash). */
export function requirePasswordBytes(password: string): Buffer {
  const bytes = passwordBytes(password)
  if (bytes === null) {
    throw new RangeError(
      `password must be a well-formed string of at most ${MAX_PASSWORD_LENGTH} characters`,
    )
  }
  return bytes
}

function isWellFormed(s: string): boolean {
  // String.prototype.isWellFormed exists on Node ≥ 20; `lib` is ES2023 so call it loosely.
  const fn = (s as unknown as { isWellFormed?: () => boolean }).isWellFormed
  if (typeof fn === 'function') return fn.call(s)
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)
}

/** Standard base64 without `=` padding (argon2's PHC layout). */
export function b64NoPad(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '')
}

/** Decodes standard base64 with or without padding; `null` if it is not canonical base64. */
export function b64Decode(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null
  const buf = Buffer.from(text, 'base64')
  // Reject non-canonical input (Buffer.from silently skips junk and trailing bits).
  if (b64NoPad(buf) !== text.replace(/=+$/, '')) return null
  return buf
}

/** Constant-time equality of two byte strings (length is not secret). */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a)
    return false
  }
  return timingSafeEqual(a, b)
}

/** Constant-time equality of two strings' UTF-8 bytes (Django's `constant_time_compare`). */
export function stringsEqual(a: string, b: string): boolean {
  return bytesEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Parses a positive decimal integer with no sign, spaces or leading zeros; `null` otherwise. */
export function parsePositiveInt(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^[1-9][0-9]{0,15}$/.test(text)) return null
  const n = Number(text)
  return Number.isSafeInteger(n) && n <= max ? n : null
}
