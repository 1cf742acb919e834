import { compileOrigins, type AuthSettings } from '@cookiejwt/core'

const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE'

/** CORS for credentialed requests from the configured origins only: never `*`, never `null`, no look-alikes. */
export interface Cors {
  /** Headers for an actual (non-preflight) response; empty unless the origin is allowed. */
  responseHeaders(origin: string | undefined): Record<string, string>
  /**
   * The answer to an `OPTIONS` request: 204 with the grant for an allowed origin, 400 for an allowed origin that
   * sent no `Access-Control-Request-Method`, or null (no grant: the route answers as for any unknown method).
   */
  preflight(
    origin: string | undefined,
    requestMethod: string | undefined,
  ): { status: number; headers: Record<string, string>; body: string | null } | null
}

/** Builds the CORS policy from `settings.cors` (exact origins and anchored one-label patterns). */
export function createCors(settings: AuthSettings): Cors {
  const allowed = compileOrigins(settings.cors.allowedOrigins)
  const grant = (origin: string): Record<string, string> => ({
    'access-control-allow-origin': origin,
    ...(settings.cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
  })
  const allowHeaders = ['Content-Type', settings.csrf.headerName, 'Authorization'].join(', ')
  return {
    responseHeaders(origin) {
      return origin !== undefined && allowed.matches(origin) ? grant(origin) : {}
    },
    preflight(origin, requestMethod) {
      if (origin === undefined || !allowed.matches(origin)) return null
      if (!requestMethod) {
        return {
          status: 400,
          headers: { ...grant(origin), 'content-type': 'text/plain; charset=utf-8' },
          body: 'Invalid Preflight Request',
        }
      }
      return {
        status: 204,
        headers: {
          ...grant(origin),
          'access-control-allow-methods': METHODS,
          'access-control-allow-headers': allowHeaders,
          'access-control-max-age': String(settings.cors.maxAge),
          'content-length': '0',
        },
        body: null,
      }
    },
  }
}
