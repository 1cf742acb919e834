import { AuthError, serializeClearedAuthCookies, type Authentication } from '@cookiejwt/core'
import { SESSION_ID_CLAIM } from '../../sessions/mint.js'
import type { RouteDef, ServiceDeps } from '../types.js'

const SESSION_ID = /^[0-9a-f]{32}$/

function userIdOf(auth: Authentication | null): number {
  const id = Number(auth?.user.id)
  if (!Number.isSafeInteger(id) || id <= 0) throw new AuthError('user_not_found', 'User not found')
  return id
}

function currentSid(auth: Authentication | null): string | null {
  const sid = auth?.token.payload[SESSION_ID_CLAIM]
  return typeof sid === 'string' ? sid : null
}

/**
 * The user's sessions (refresh-token families): list, revoke one, revoke all others, revoke all.
 * Cookie-authenticated unsafe requests need the CSRF token, as every other authenticated endpoint.
 */
export function sessionRoutes(deps: ServiceDeps): RouteDef[] {
  const { sessions, settings } = deps
  return [
    {
      method: 'GET',
      path: '/api/auth/sessions/',
      auth: 'required',
      schema: { summary: "The user's active sessions", tags: ['sessions'] },
      async handler({ auth, now }) {
        const current = currentSid(auth)
        const list = await sessions.list(userIdOf(auth), now)
        return {
          body: list.map((s) => ({
            id: s.id,
            created_at: s.createdAt.toISOString(),
            last_used_at: s.lastUsedAt.toISOString(),
            user_agent: s.userAgent,
            ip: s.ip,
            current: s.id === current,
          })),
        }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/sessions/revoke-others/',
      auth: 'required',
      schema: { summary: 'Log out every other session', tags: ['sessions'] },
      async handler({ auth, now }) {
        const current = currentSid(auth)
        const revoked = await sessions.revokeAll(userIdOf(auth), 'revoke_others', now, current ?? undefined)
        return { body: { revoked } }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/sessions/revoke-all/',
      auth: 'required',
      schema: { summary: 'Log out everywhere, this session included', tags: ['sessions'] },
      async handler({ auth, now }) {
        // "Log out everywhere": a new session version refuses every access token at once, from any process's cache.
        const userId = userIdOf(auth)
        await sessions.bumpVersion(userId, now)
        const revoked = await sessions.revokeAll(userId, 'revoke_all', now)
        return { body: { revoked }, ...(auth?.via === 'cookie' ? { cookies: serializeClearedAuthCookies(settings) } : {}) }
      },
    },
    {
      method: 'DELETE',
      path: '/api/auth/sessions/:id/',
      auth: 'required',
      schema: { summary: 'Revoke one session', tags: ['sessions'] },
      async handler({ auth, params, now }) {
        const id = params.id ?? ''
        // Another user's session and an unknown id look the same: 404.
        if (!SESSION_ID.test(id) || !(await sessions.revoke(id, 'revoked_by_user', now, userIdOf(auth)))) {
          throw new AuthError('not_found', 'Not found.')
        }
        const clears = id === currentSid(auth) && auth?.via === 'cookie'
        return { status: 204, ...(clears ? { cookies: serializeClearedAuthCookies(settings) } : {}) }
      },
    },
  ]
}
