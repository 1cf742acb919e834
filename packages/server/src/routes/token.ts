import { AuthError, verifyToken, type TokenType } from '@cookiejwt/core'
import type { FastifyInstance } from 'fastify'
import { blacklistRefreshToken, loginWithPassword, refreshTokens, type FlowDeps } from '../flows.js'
import { clientInfo } from '../sessions/client.js'
import { allowOnly } from './methods.js'
import { credentialsBody, refreshBody, verifyBody } from './schemas.js'

const TYPES: TokenType[] = ['access', 'refresh', 'sliding']

/** The Bearer flow, simplejwt-compatible, for non-browser clients: tokens in JSON, no cookies. */
export async function tokenRoutes(app: FastifyInstance, deps: FlowDeps): Promise<void> {
  app.post<{ Body: { username: string; password: string } }>(
    '/api/token/',
    { schema: { body: credentialsBody } },
    async (request) => {
      const { pair } = await loginWithPassword(deps, request.body.username, request.body.password, clientInfo(request))
      return { refresh: pair.refresh?.token, access: pair.access.token }
    },
  )
  allowOnly(app, '/api/token/', ['POST'])

  app.post<{ Body: { refresh: string } }>('/api/token/refresh/', { schema: { body: refreshBody } }, async (request) => {
    const pair = await refreshTokens(deps, request.body.refresh, clientInfo(request))
    return { access: pair.access.token, ...(pair.refresh ? { refresh: pair.refresh.token } : {}) }
  })
  allowOnly(app, '/api/token/refresh/', ['POST'])

  app.post<{ Body: { token: string } }>('/api/token/verify/', { schema: { body: verifyBody } }, async (request) => {
    // simplejwt's UntypedToken: any type, signature and expiry checked, and a blacklisted jti refused.
    const now = deps.now?.() ?? new Date()
    let lastError: unknown
    for (const type of TYPES) {
      try {
        const token = verifyToken(deps.settings, request.body.token, type, { now })
        if (await deps.tokens.isBlacklisted(token.jti)) throw new AuthError('token_not_valid', 'Token is blacklisted')
        return {}
      } catch (error) {
        if (!(error instanceof AuthError) || error.message !== 'Token has wrong type') throw error
        lastError = error
      }
    }
    throw lastError
  })
  allowOnly(app, '/api/token/verify/', ['POST'])

  app.post<{ Body: { refresh: string } }>('/api/token/blacklist/', { schema: { body: refreshBody } }, async (request) => {
    if (!(await blacklistRefreshToken(deps, request.body.refresh))) {
      throw new AuthError('token_not_valid', 'Token is blacklisted')
    }
    return {}
  })
  allowOnly(app, '/api/token/blacklist/', ['POST'])
}
