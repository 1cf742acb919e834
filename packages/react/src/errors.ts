/** Field validation errors as DRF sends them: `{"email": ["Enter a valid email address."]}`. */
export type FieldErrors = Record<string, string[]>

/**
 * An error answer from the API (or a network failure, with `status` 0 and `code` `network_error`).
 * `detail` and `code` are the server's `{"detail", "code"}`; `fields` holds DRF field errors.
 */
export class ApiError extends Error {
  /** HTTP status, or 0 when the request never got an answer. */
  readonly status: number
  /** The server's `detail` message (or the first field error). */
  readonly detail: string
  /** The server's stable error code, e.g. `no_active_account`, `throttled`, `token_not_valid`. */
  readonly code: string
  /** Per-field validation messages of a 400 answer; empty otherwise. */
  readonly fields: FieldErrors
  /** Seconds to wait, from `Retry-After` on a 429 answer; `null` when absent. */
  readonly retryAfter: number | null

  constructor(
    status: number,
    detail: string,
    code: string,
    fields: FieldErrors = {},
    retryAfter: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(detail, options)
    this.name = 'ApiError'
    this.status = status
    this.detail = detail
    this.code = code
    this.fields = fields
    this.retryAfter = retryAfter
  }
}

/**
 * What `login()` rejects with when the account has a second factor: the password was right, and the login ends with
 * `loginMfa(code)` (a TOTP or a backup code) within a few minutes. `code` is `mfa_required`.
 */
export class MfaRequiredError extends ApiError {
  constructor() {
    super(200, 'Enter the code from your authenticator app, or a backup code.', 'mfa_required')
    this.name = 'MfaRequiredError'
  }
}

const STATUS_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'not_authenticated',
  403: 'permission_denied',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'throttled',
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into whole seconds; null when absent. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000))
}

/** Builds an {@link ApiError} from a status, a parsed JSON body (or anything) and a Retry-After value. */
export function toApiError(status: number, body: unknown, retryAfter: string | null): ApiError {
  let detail = ''
  let code = STATUS_CODES[status] ?? (status >= 500 ? 'server_error' : 'error')
  const fields: FieldErrors = {}
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body)) {
      if (key === 'detail' && typeof value === 'string') detail = value
      else if (key === 'code' && typeof value === 'string') code = value
      else if (Array.isArray(value)) fields[key] = value.map(String)
      else if (typeof value === 'string') fields[key] = [value]
    }
  }
  if (!detail) {
    const first = Object.values(fields)[0]?.[0]
    detail =
      first ?? (status >= 500 ? 'The server had a problem. Try again later.' : `HTTP ${status}`)
  }
  return new ApiError(status, detail, code, fields, parseRetryAfter(retryAfter))
}
