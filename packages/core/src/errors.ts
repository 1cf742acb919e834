/** Stable error codes carried on the wire as `{ "detail": …, "code": … }` (DRF / simplejwt names). */
export type AuthErrorCode =
  | 'not_authenticated'
  | 'authentication_failed'
  | 'token_not_valid'
  | 'no_active_account'
  | 'user_inactive'
  | 'user_not_found'
  | 'permission_denied'
  | 'reauthentication_required'
  | 'throttled'
  | 'parse_error'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'not_found'
  | 'invalid'
  | 'payload_too_large'
  | 'service_unavailable'
  | 'mfa_already_enabled'
  | 'mfa_not_enabled'
  | 'email_not_verified'
  | 'mfa_enrollment_required'
  | 'error'

/** An authentication or authorisation failure with a stable `code`; its message is safe to show a client. */
export class AuthError extends Error {
  readonly code: AuthErrorCode
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AuthError'
    this.code = code
  }
}

/** Field validation failures, rendered as DRF does: `{ "<field>": ["<message>", …] }` with status 400. */
export class ValidationError extends Error {
  readonly code = 'invalid'
  readonly fields: Readonly<Record<string, readonly string[]>>
  constructor(fields: Record<string, string[]>) {
    super(Object.values(fields).flat()[0] ?? 'Invalid input.')
    this.name = 'ValidationError'
    this.fields = fields
  }
}

/** A bad configuration. Thrown at start-up (never mid-request); the message names the setting. */
export class ImproperlyConfigured extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ImproperlyConfigured'
  }
}

/** A dependency (database, cache) is unreachable; rendered as 503. */
export class ServiceUnavailableError extends Error {
  readonly code = 'service_unavailable'
  constructor(
    message = 'Service temporarily unavailable, try again later.',
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'ServiceUnavailableError'
  }
}
