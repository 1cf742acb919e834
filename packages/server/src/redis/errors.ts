/** A shared service the server depends on. */
export type DependencyName = 'database' | 'redis'

/**
 * A dependency (Redis, the database) is unreachable or too slow: the request is answered 503.
 *
 * The message names the service and the failure class only — never a URL (it may carry a
 * password) or a key.
 */
export class ServiceUnavailableError extends Error {
  readonly code = 'service_unavailable'
  readonly service: DependencyName

  constructor(service: DependencyName, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ServiceUnavailableError'
    this.service = service
  }
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
