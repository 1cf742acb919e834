import { AuthError, ServiceUnavailableError, ValidationError, type AuthErrorCode } from '@cookiejwt/core'
import type { FastifyError, FastifyReply } from 'fastify'

/** HTTP status for each error code, in one table (DRF's choices). */
export const STATUS_BY_CODE: Record<AuthErrorCode, number> = {
  not_authenticated: 401,
  authentication_failed: 401,
  token_not_valid: 401,
  no_active_account: 401,
  user_inactive: 401,
  user_not_found: 401,
  permission_denied: 403,
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
  error: 500,
}

/** The wire body of an error: DRF's `{ detail, code }`, or `{ field: [messages] }` for validation. */
export type ErrorBody = { detail: string; code: string } | Record<string, string[]>

/** Status and body for any error; unknown errors become a bare 500 with no detail of the cause. */
export function renderError(error: unknown): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (error instanceof AuthError) {
    const status = STATUS_BY_CODE[error.code] ?? 400
    const headers: Record<string, string> = {}
    // DRF adds a WWW-Authenticate challenge to 401s (RFC 9110 §11.6.1).
    if (status === 401) headers['www-authenticate'] = 'Bearer realm="api"'
    // DRF's Throttled: the wait in whole seconds (RFC 9110 §10.2.3).
    const retryAfter = (error as { retryAfter?: unknown }).retryAfter
    if (status === 429 && typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter)
    return { status, body: { detail: error.message, code: error.code }, headers }
  }
  if (error instanceof ValidationError) return { status: 400, body: { ...error.fields } as Record<string, string[]> }
  if (error instanceof ServiceUnavailableError) {
    return { status: 503, body: { detail: error.message, code: error.code }, headers: { 'retry-after': '5' } }
  }
  const fe = error as Partial<FastifyError> | null
  switch (fe?.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { detail: 'Unsupported media type in request; send application/json.', code: 'unsupported_media_type' } }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { detail: 'Request body is too large.', code: 'payload_too_large' } }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: { detail: 'JSON parse error - the request body is not valid JSON.', code: 'parse_error' } }
    case 'FST_ERR_CTP_INVALID_TYPE':
      return { status: 400, body: { detail: 'Malformed request.', code: 'parse_error' } }
    default:
      break
  }
  if (fe && fe.validation) return { status: 400, body: validationBody(fe) }
  if (fe && error instanceof SyntaxError) {
    return { status: 400, body: { detail: 'JSON parse error - the request body is not valid JSON.', code: 'parse_error' } }
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500
  if (status >= 400 && status < 500) {
    return { status, body: { detail: status === 413 ? 'Request body is too large.' : 'Malformed request.', code: status === 413 ? 'payload_too_large' : 'parse_error' } }
  }
  return { status: 500, body: { detail: 'A server error occurred.', code: 'error' } }
}

/** Sends an error in the DRF shape; used by the authenticate hook so user apps need no error handler of ours. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const { status, body, headers } = renderError(error)
  if (headers) reply.headers(headers)
  return reply.code(status).header('cache-control', 'no-store').send(body)
}

type AjvError = { instancePath?: string; keyword?: string; params?: Record<string, unknown>; message?: string }

function validationBody(error: Partial<FastifyError>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const e of (error.validation ?? []) as AjvError[]) {
    const field =
      e.keyword === 'required'
        ? String(e.params?.missingProperty ?? 'non_field_errors')
        : (e.instancePath ?? '').replace(/^\//, '').split('/')[0] || 'non_field_errors'
    const message = fieldMessage(e)
    ;(out[field] ??= []).push(message)
  }
  return Object.keys(out).length > 0 ? out : { non_field_errors: ['Invalid data.'] }
}

function fieldMessage(e: AjvError): string {
  switch (e.keyword) {
    case 'required':
      return 'This field is required.'
    case 'type':
      return e.instancePath === '' ? 'Invalid data. Expected a dictionary.' : 'Not a valid string.'
    case 'maxLength':
      return `Ensure this field has no more than ${String(e.params?.limit)} characters.`
    case 'minLength':
      return 'This field may not be blank.'
    case 'format':
      return e.params?.format === 'email' ? 'Enter a valid email address.' : 'Invalid value.'
    case 'pattern':
      return 'Null characters are not allowed.'
    default:
      return 'Invalid value.'
  }
}
