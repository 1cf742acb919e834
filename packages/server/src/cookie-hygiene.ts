import { serializeClearedLegacyCookies, type AuthSettings } from '@cookiejwt/core'
import type { FastifyInstance, FastifyRequest } from 'fastify'

/** The name of a serialized `Set-Cookie` value (the text before the first `=`). */
export function setCookieName(header: string): string {
  const eq = header.indexOf('=')
  return eq < 0 ? '' : header.slice(0, eq).trim()
}

/** Names that occur more than once in a request's `Cookie` header: the sign of a cookie left by an older Path/Domain. */
export function duplicateCookieNames(request: Pick<FastifyRequest, 'headers'>): string[] {
  const raw = request.headers.cookie
  if (typeof raw !== 'string' || raw === '') return []
  const counts = new Map<string, number>()
  for (const part of raw.split(';')) {
    const name = setCookieName(part)
    if (name !== '') counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return [...counts].filter(([, n]) => n > 1).map(([name]) => name)
}

const SECURE = /;\s*secure\s*(?:;|$)/i

/**
 * Adds an `onSend` hook that makes every response's cookies safe whatever route set them:
 * - on an HTTPS request (TLS, or `X-Forwarded-Proto: https` behind a trusted proxy) every cookie gets `Secure`;
 * - a response that sets or clears a JWT cookie (login, refresh, logout, password change) also clears each of
 *   `legacyCookies`, so cookies left behind by an older name, `Path` or `Domain` stop shadowing the new ones.
 */
export function registerCookieHygiene(app: FastifyInstance, settings: AuthSettings, trustProxy = settings.trustProxy): void {
  const jwtNames = new Set([settings.authCookie.name, settings.refreshCookie.name])
  const legacyClears = serializeClearedLegacyCookies(settings)
  // Nothing to do on plain HTTP without legacy cookies: then the hook is not added, and costs nothing per request.
  const httpsPossible = trustProxy || Boolean(app.initialConfig.https)
  if (legacyClears.length === 0 && !httpsPossible) return
  app.addHook('onSend', async (request, reply, payload) => {
    const header = reply.getHeader('set-cookie')
    if (header === undefined) return payload
    let cookies = (Array.isArray(header) ? header : [header]).map(String)
    let changed = false
    if (legacyClears.length > 0 && cookies.some((c) => jwtNames.has(setCookieName(c)))) {
      cookies = [...cookies, ...legacyClears]
      changed = true
      const duplicates = duplicateCookieNames(request).filter((n) => jwtNames.has(n))
      if (duplicates.length > 0) request.log.warn({ cookies: duplicates }, 'request carried duplicate auth cookies; clearing legacy cookies')
    }
    if (request.protocol === 'https') {
      cookies = cookies.map((c) => {
        if (SECURE.test(c)) return c
        changed = true
        return `${c}; Secure`
      })
    }
    if (changed) {
      reply.removeHeader('set-cookie')
      reply.header('set-cookie', cookies)
    }
    return payload
  })
}
