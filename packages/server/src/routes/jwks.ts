import { AuthError, getPublicJwks, type AuthSettings } from '@cookiejwt/core'
import type { FastifyInstance } from 'fastify'
import { allowOnly } from './methods.js'

/** Where the JWK Set is published (RFC 8414 / OpenID Connect Discovery convention). */
export const JWKS_PATH = '/.well-known/jwks.json'

/**
 * `GET /.well-known/jwks.json`: the public keys that verify cookiejwt's tokens, so other services can verify them
 * without a shared secret. Only asymmetric public keys are ever listed; with HMAC keys only, the route is a 404.
 */
export async function jwksRoutes(app: FastifyInstance, settings: AuthSettings): Promise<void> {
  // Computed once: the key set is fixed for the life of the process (rotation = restart with the new key file).
  const body = JSON.stringify({ keys: getPublicJwks(settings) })
  const empty = getPublicJwks(settings).length === 0
  app.get(JWKS_PATH, async (_request, reply) => {
    if (empty) throw new AuthError('not_found', 'Not found.')
    // Public material: caching it is fine and spares the verifiers; short enough for a rotation to spread.
    return reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(body)
  })
  allowOnly(app, JWKS_PATH, ['GET'])
}
