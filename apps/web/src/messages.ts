import { ApiError } from '@cookiejwt/react'

/** Turns any error from the API client into one sentence a person can act on. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.'
  switch (error.code) {
    case 'network_error':
      return 'Cannot reach the server. Check your connection and try again.'
    case 'no_active_account':
      return 'Wrong username or password.'
    case 'throttled':
      return error.retryAfter !== null
        ? `Too many attempts. Try again in ${formatSeconds(error.retryAfter)}.`
        : 'Too many attempts. Please wait a moment and try again.'
    case 'not_authenticated':
    case 'token_not_valid':
      return 'Your session has ended. Please sign in again.'
    case 'permission_denied':
      return error.detail.startsWith('CSRF Failed')
        ? 'The request was refused as a possible cross-site forgery. Reload the page and try again.'
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
