import { ServiceUnavailableError } from '@cookiejwt/core'

/**
 * The error every Redis failure becomes: core's `ServiceUnavailableError` (rendered as 503 with the
 * generic message), with the short reason on `cause` for logs — never a URL or a key.
 */
export function redisUnavailable(reason: string, cause?: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(undefined, {
    cause: cause ?? new Error(`redis: ${reason}`),
  })
}

/** Returns true for a `ServiceUnavailableError` (also across module copies, by name and code). */
export function isServiceUnavailable(error: unknown): error is ServiceUnavailableError {
  return (
    error instanceof ServiceUnavailableError ||
    (error instanceof Error &&
      error.name === 'ServiceUnavailableError' &&
      (error as { code?: unknown }).code === 'service_unavailable')
  )
}
