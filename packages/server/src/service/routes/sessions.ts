import {
  AuthError,
  parseUserId,
  serializeClearedAuthCookies,
  type Authentication,
  type AuthSettings,
  type UserId,
} from '@cookiejwt/core'
import { requireRecentAuthentication } from '../../reauth.js'
import { SESSION_ID_CLAIM } from '../../sessions/mint.js'
import type { RouteContext, RouteDef, ServiceDeps } from '../types.js'
import { noContent, reauthBody, sessionsResponse } from './schemas.js'

const SESSION_ID = /^[0-9a-f]{32}$/

function userIdOf(settings: AuthSettings, auth: Authentication | null): UserId {
  // An integer or a UUID, as the user table's id type says (settings.userTable.idType).
  const id = parseUserId(settings.userTable.idType, auth?.user.id)
  if (id === null) throw new AuthError('user_not_found', 'User not found')
  return id
}

function currentSid(auth: Authentication | null): string | null {
  const sid = auth?.token.payload[SESSION_ID_CLAIM]
  return typeof sid === 'string' ? sid : null
}

/**
 * The user's sessions (refresh-token families): list, revoke one, revoke all others, revoke all.
 * Cookie-authenticated unsafe requests need the CSRF token, as every other authenticated endpoint, and ending
 * sessions needs a recent login or the password again (`reauthWindow`; ASVS 5.0 §7.5.2).
 */
export function sessionRoutes(deps: ServiceDeps): RouteDef[] {
  const { sessions, settings } = deps
  const reauthenticate = async ({ auth, body, user, client }: RouteContext, action: string) => {
    if (!auth)
      throw new AuthError('not_authenticated', 'Authentication credentials were not provided.')
    const password = (body as { password?: unknown } | null)?.password
    await requireRecentAuthentication(deps, await user(), auth.token, password, client, action)
  }
  return [
    {
      method: 'GET',
      path: '/api/auth/sessions/',
      auth: 'required',
      schema: {
        response: { 200: sessionsResponse },
        errors: ['not_authenticated', 'token_not_valid', 'user_not_found'],
        summary: "The user's active sessions",
        tags: ['sessions'],
      },
      async handler({ auth, now }) {
        const current = currentSid(auth)
        const list = await sessions.list(userIdOf(settings, auth), now)
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
      schema: {
        response: { 200: { type: 'object', properties: { revoked: { type: 'integer' } } } },
        errors: [
          'not_authenticated',
          'token_not_valid',
          'permission_denied',
          'reauthentication_required',
          'invalid',
          'throttled',
        ],
        body: reauthBody,
        summary: 'Log out every other session (may need the password again)',
        tags: ['sessions'],
      },
      async handler(context) {
        const { auth, now } = context
        await reauthenticate(context, 'revoke_others')
        const current = currentSid(auth)
        const revoked = await sessions.revokeAll(
          userIdOf(settings, auth),
          'revoke_others',
          now,
          current ?? undefined,
        )
        return { body: { revoked } }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/sessions/revoke-all/',
      auth: 'required',
      schema: {
        response: { 200: { type: 'object', properties: { revoked: { type: 'integer' } } } },
        errors: [
          'not_authenticated',
          'token_not_valid',
          'permission_denied',
          'reauthentication_required',
          'invalid',
          'throttled',
        ],
        body: reauthBody,
        summary: 'Log out everywhere, this session included (may need the password again)',
        tags: ['sessions'],
      },
      async handler(context) {
        const { auth, now } = context
        await reauthenticate(context, 'revoke_all')
        // "Log out everywhere": a new session version refuses every access token at once, from any process's cache.
        const revoked = await sessions.endAll(userIdOf(settings, auth), 'revoke_all', now)
        return {
          body: { revoked },
          ...(auth?.via === 'cookie' ? { cookies: serializeClearedAuthCookies(settings) } : {}),
        }
      },
    },
    {
      method: 'DELETE',
      path: '/api/auth/sessions/:id/',
      auth: 'required',
      schema: {
        response: { 204: noContent },
        errors: [
          'not_authenticated',
          'token_not_valid',
          'permission_denied',
          'reauthentication_required',
          'invalid',
          'not_found',
          'throttled',
        ],
        body: reauthBody,
        summary: 'Revoke one session (another one may need the password again)',
        tags: ['sessions'],
      },
      async handler(context) {
        const { auth, params, now } = context
        const id = params.id ?? ''
        // Ending this very session is a logout and needs nothing more; ending another one is a sensitive change.
        if (id !== currentSid(auth)) await reauthenticate(context, 'revoke_session')
        // Another user's session and an unknown id look the same: 404.
        if (
          !SESSION_ID.test(id) ||
          !(await sessions.revoke(id, 'revoked_by_user', now, userIdOf(settings, auth)))
        ) {
          throw new AuthError('not_found', 'Not found.')
        }
        const clears = id === currentSid(auth) && auth?.via === 'cookie'
        return {
          status: 204,
          ...(clears ? { cookies: serializeClearedAuthCookies(settings) } : {}),
        }
      },
    },
  ]
}
