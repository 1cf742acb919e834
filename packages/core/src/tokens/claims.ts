/**
 * The token types simplejwt writes in `token_type`, and cookiejwt's `mfa`: the short-lived proof that a login's
 * password step passed, good only for its second-factor step (never accepted as an access or refresh token).
 */
export type TokenType = 'access' | 'refresh' | 'sliding' | 'mfa' | 'mfa_enrollment'

/** A token's payload as simplejwt lays it out, plus whatever extra claims were added. */
export type TokenPayload = Record<string, unknown> & {
  exp: number
  iat: number
}

/** A token whose signature, type and time claims have been checked. */
export interface VerifiedToken {
  readonly type: TokenType
  readonly jti: string
  /** The user id claim: a number for `userIdField: 'id'`, a string for `'username'`. */
  readonly userId: number | string
  readonly exp: number
  readonly iat: number
  readonly payload: Readonly<TokenPayload>
  /** The encoded token, so callers can hash or re-send it. Never log it. */
  readonly raw: string
}

/** Claims never copied from a refresh token into the access token derived from it (simplejwt's `no_copy_claims`). */
export const NO_COPY_CLAIMS: readonly string[] = ['token_type', 'exp', 'jti', 'iat', 'nbf']

/** Largest token accepted before any parsing; real tokens are a few hundred bytes. */
export const MAX_TOKEN_LENGTH = 4096

/** Latest accepted time claim (9999-12-31T23:59:59Z): anything larger is nonsense. */
export const MAX_TIME_CLAIM = 253402300799

/** Whether `value` is a time claim as simplejwt writes it: a whole number of seconds in a sane range. */
export function isTimeClaim(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    value >= 0 &&
    value <= MAX_TIME_CLAIM
  )
}
