import {
  AuthError,
  authenticateRequest,
  enforceCsrf,
  isUnsafeMethod,
  type Authentication,
  type AuthenticateDeps,
  type AuthSettings,
  type TrustProxy,
} from '@cookiejwt/core'
import { peerOf, toAuthRequest } from './request.js'
import type { ServiceRequest } from './types.js'

/** Authenticates one request; throws `AuthError` for bad credentials, returns null for none (when not required). */
export type Authenticator = (
  request: ServiceRequest,
  cookie: (name: string) => string | undefined,
  required: boolean,
) => Promise<Authentication | null>

/**
 * The one authentication step of every route and adapter: Bearer header first, else the access cookie (core's
 * `authenticateRequest`), then, for a cookie-authenticated unsafe request, a trusted `Origin` and the CSRF token.
 * `deps` holds the collaborators: the user store and the per-request revocation check.
 */
export function createAuthenticator(
  settings: AuthSettings,
  deps: AuthenticateDeps,
  trustProxy: TrustProxy,
): Authenticator {
  return async (request, cookie, required) => {
    const authRequest = toAuthRequest(request, cookie)
    const auth = await authenticateRequest(settings, authRequest, deps)
    if (auth === null) {
      if (required)
        throw new AuthError('not_authenticated', 'Authentication credentials were not provided.')
      return null
    }
    // Only an unsafe method needs the CSRF check (enforceCsrf passes safe ones): no peer work on a cookie GET.
    if (auth.via === 'cookie' && isUnsafeMethod(request.method)) {
      const peer = peerOf(request, trustProxy)
      enforceCsrf(settings, authRequest, `${peer.protocol}://${peer.host}`)
    }
    return auth
  }
}
