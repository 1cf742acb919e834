import { ApiError } from '@cookiejwt/react'

/** Turns any error from the API client into one sentence a person can act on. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.'
  switch (error.code) {
    case 'network_error':
      return 'Cannot reach the server. Check your connection and try again.'
    case 'no_active_account':
      return 'Wrong username or password.'
    case 'email_not_verified':
      return 'Your email address is not confirmed yet. We sent you a new link: open it, then sign in.'
    case 'throttled':
      return error.retryAfter !== null
        ? `Too many attempts. Try again in ${formatSeconds(error.retryAfter)}.`
        : 'Too many attempts. Please wait a moment and try again.'
    case 'not_authenticated':
    case 'token_not_valid':
      return 'Your session has ended. Please sign in again.'
    case 'reauthentication_required':
      return 'Enter your password to confirm this change.'
    case 'permission_denied':
      if (error.detail.startsWith('CSRF Failed'))
        return 'The request was refused as a possible cross-site forgery. Reload the page and try again.'
      // The server's own reason when the account's policy forbids it (mfa.required: TOTP cannot be turned off).
      return error.detail.startsWith('Two-factor authentication is required')
        ? error.detail
        : 'You are not allowed to do that.'
  }
  if (error.status >= 500) return 'The server had a problem. Please try again later.'
  return error.detail
}

/** Field messages of a 400 answer, keyed by field name. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || error.status !== 400) return {}
  return Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [k, v.join(' ')]))
}

function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`
  const minutes = Math.ceil(seconds / 60)
  return `${minutes} minutes`
}

const GENERIC_DENIAL = 'You do not have permission to perform this action.'

/**
 * As {@link describeError}, but an admin rule the server explains ("You cannot deactivate yourself.") is
 * shown as the server said it, and a 404 says the user or session is gone.
 */
export function describeAdminError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'permission_denied' && !error.detail.startsWith('CSRF Failed')) {
      return error.detail && error.detail !== GENERIC_DENIAL
        ? error.detail
        : 'You are not allowed to do that: the admin is for staff only.'
    }
    if (error.status === 404) return 'Not found: it may have been deleted in the meantime.'
  }
  return describeError(error)
}

/**
 * Splits an error into messages shown under the form's own `fields` and one message for the alert: a detail
 * error, or field errors of fields the form does not show (e.g. `non_field_errors`).
 */
export function splitErrors(
  error: unknown,
  fields: readonly string[],
): { fields: Record<string, string>; alert: string | null } {
  if (!error) return { fields: {}, alert: null }
  // A duplicate username may come as 409 with a field error, as well as 400.
  const all =
    error instanceof ApiError && error.status === 409
      ? Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [k, v.join(' ')]))
      : fieldErrors(error)
  const shown: Record<string, string> = {}
  const rest: string[] = []
  for (const [field, message] of Object.entries(all)) {
    if (fields.includes(field)) shown[field] = message
    else
      rest.push(
        field === 'non_field_errors' || field === 'detail' ? message : `${field}: ${message}`,
      )
  }
  if (Object.keys(all).length === 0) return { fields: {}, alert: describeAdminError(error) }
  return { fields: shown, alert: rest.length ? rest.join(' ') : null }
}
