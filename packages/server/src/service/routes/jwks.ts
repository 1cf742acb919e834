import { AuthError, getPublicJwks } from '@cookiejwt/core'
import type { RouteDef, ServiceDeps } from '../types.js'

/** Where the JWK Set is published (RFC 8414 / OpenID Connect Discovery convention). */
export const JWKS_PATH = '/.well-known/jwks.json'

/**
 * `GET /.well-known/jwks.json`: the public keys that verify cookiejwt's tokens, so other services can verify them
 * without a shared secret. Only asymmetric public keys are ever listed; with HMAC keys only, the route is a 404.
 */
export function jwksRoutes(deps: ServiceDeps): RouteDef[] {
  // Computed once: the key set is fixed for the life of the process (rotation = restart with the new key file).
  const keys = getPublicJwks(deps.settings)
  const body = JSON.stringify({ keys })
  return [
    {
      method: 'GET',
      path: JWKS_PATH,
      schema: {
        response: { 200: { type: 'object', properties: { keys: { type: 'array' } } } },
        errors: [],
        summary: 'Public signing keys (JWK Set)',
        tags: ['platform'],
      },
      handler() {
        if (keys.length === 0) throw new AuthError('not_found', 'Not found.')
        // Public material: caching it is fine and spares the verifiers; short enough for a rotation to spread.
        return {
          raw: body,
          headers: {
            'cache-control': 'public, max-age=300',
            'content-type': 'application/json; charset=utf-8',
          },
        }
      },
    },
  ]
}
