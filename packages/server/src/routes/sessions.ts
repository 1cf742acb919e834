import { AuthError, serializeClearedAuthCookies, type User } from '@cookiejwt/core'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { FlowDeps } from '../flows.js'
import { SESSION_ID_CLAIM } from '../sessions/mint.js'
import { allowOnly } from './methods.js'

const SESSION_ID = /^[0-9a-f]{32}$/

/**
 * The user's sessions (refresh-token families): list, revoke one, revoke all others, revoke all.
 * Cookie-authenticated unsafe requests need the CSRF token, as every other authenticated endpoint.
 */
export async function sessionRoutes(app: FastifyInstance, deps: FlowDeps): Promise<void> {
  const sessions = deps.sessions
  if (!sessions) return
  const now = () => deps.now?.() ?? new Date()
  const userIdOf = (request: FastifyRequest): number => {
    const user = request.user as User | { id: number | string } | null
    const id = Number(user?.id)
    if (!Number.isSafeInteger(id) || id <= 0) throw new AuthError('user_not_found', 'User not found')
    return id
  }
  const currentSid = (request: FastifyRequest): string | null => {
    const sid = request.auth?.token.payload[SESSION_ID_CLAIM]
    return typeof sid === 'string' ? sid : null
  }

  app.get('/api/auth/sessions/', { preHandler: app.authenticate }, async (request) => {
    const current = currentSid(request)
    const list = await sessions.list(userIdOf(request), now())
    return list.map((s) => ({
      id: s.id,
      created_at: s.createdAt.toISOString(),
      last_used_at: s.lastUsedAt.toISOString(),
      user_agent: s.userAgent,
      ip: s.ip,
      current: s.id === current,
    }))
  })
  allowOnly(app, '/api/auth/sessions/', ['GET'])

  app.post('/api/auth/sessions/revoke-others/', { preHandler: app.authenticate }, async (request) => {
    const current = currentSid(request)
    const revoked = await sessions.revokeAll(userIdOf(request), 'revoke_others', now(), current ?? undefined)
    return { revoked }
  })
  allowOnly(app, '/api/auth/sessions/revoke-others/', ['POST'])

  app.post('/api/auth/sessions/revoke-all/', { preHandler: app.authenticate }, async (request, reply) => {
    // "Log out everywhere": a new session version refuses every access token at once, from any process's cache.
    const userId = userIdOf(request)
    await sessions.bumpVersion(userId, now())
    const revoked = await sessions.revokeAll(userId, 'revoke_all', now())
    if (request.auth?.via === 'cookie') reply.header('set-cookie', serializeClearedAuthCookies(deps.settings))
    return { revoked }
  })
  allowOnly(app, '/api/auth/sessions/revoke-all/', ['POST'])

  app.delete<{ Params: { id: string } }>('/api/auth/sessions/:id/', { preHandler: app.authenticate }, async (request, reply) => {
    const { id } = request.params
    // Another user's session and an unknown id look the same: 404.
    if (!SESSION_ID.test(id) || !(await sessions.revoke(id, 'revoked_by_user', now(), userIdOf(request)))) {
      throw new AuthError('not_found', 'Not found.')
    }
    if (id === currentSid(request) && request.auth?.via === 'cookie') {
      reply.header('set-cookie', serializeClearedAuthCookies(deps.settings))
    }
    return reply.code(204).send()
  })
  allowOnly(app, '/api/auth/sessions/:id/', ['DELETE'])
}
