import {
  AuthError,
  ServiceUnavailableError,
  ValidationError,
  type AuthErrorCode,
} from '@cookiejwt/core'

/** HTTP status for each error code, in one table (DRF's choices). */
export const STATUS_BY_CODE: Record<AuthErrorCode, number> = {
  not_authenticated: 401,
  authentication_failed: 401,
  token_not_valid: 401,
  no_active_account: 401,
  user_inactive: 401,
  user_not_found: 401,
  permission_denied: 403,
  reauthentication_required: 403,
  throttled: 429,
  parse_error: 400,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  not_found: 404,
  invalid: 400,
  payload_too_large: 413,
  service_unavailable: 503,
  mfa_already_enabled: 400,
  mfa_not_enabled: 400,
  email_not_verified: 401,
  mfa_enrollment_required: 403,
  error: 500,
}

/** The wire body of an error: DRF's `{ detail, code }`, or `{ field: [messages] }` for validation. */
export type ErrorBody = { detail: string; code: string } | Record<string, string[]>

/** A rendered error: status, DRF body and the headers that go with it. */
export interface RenderedError {
  status: number
  body: ErrorBody
  headers: Record<string, string>
}

/** Status, body and headers for an error of ours; anything else becomes a bare 500 that reveals nothing. */
export function renderServiceError(error: unknown): RenderedError {
  if (error instanceof AuthError) {
    const status = STATUS_BY_CODE[error.code] ?? 400
    const headers: Record<string, string> = {}
    // DRF adds a WWW-Authenticate challenge to 401s (RFC 9110 §11.6.1).
    if (status === 401) headers['www-authenticate'] = 'Bearer realm="api"'
    // DRF's Throttled: the wait in whole seconds (RFC 9110 §10.2.3).
    const retryAfter = (error as { retryAfter?: unknown }).retryAfter
    if (status === 429 && typeof retryAfter === 'number')
      headers['retry-after'] = String(retryAfter)
    return { status, body: { detail: error.message, code: error.code }, headers }
  }
  if (error instanceof ValidationError)
    return { status: 400, body: { ...error.fields } as Record<string, string[]>, headers: {} }
  if (error instanceof ServiceUnavailableError) {
    return {
      status: 503,
      body: { detail: error.message, code: error.code },
      headers: { 'retry-after': '5' },
    }
  }
  return { status: 500, body: { detail: 'A server error occurred.', code: 'error' }, headers: {} }
}

/** Marks an error so its response also carries these `Set-Cookie` values (a failed refresh clears the cookies). */
export function withCookies<E>(error: E, cookies: string[]): E {
  if (error !== null && typeof error === 'object')
    (error as { cookies?: string[] }).cookies = cookies
  return error
}
