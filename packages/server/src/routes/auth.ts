import {
  AuthError,
  ValidationError,
  csrfSecretFromCookie,
  enforceTrustedOrigin,
  generateCsrfSecret,
  maskCsrfSecret,
  serializeAccessCookie,
  serializeClearedAccessCookie,
  serializeClearedAuthCookies,
  serializeCsrfCookie,
  serializeRefreshCookie,
  toPublicUser,
  validatePassword,
  verifyAccessToken,
  type User,
} from '@cookiejwt/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { blacklistRefreshToken, endOtherSessions, loginWithPassword, refreshTokens, type FlowDeps, type IssuedPair } from '../flows.js'
import { clientInfo } from '../sessions/client.js'
import { ownOrigin, toAuthRequest } from '../plugin.js'
import { allowOnly } from './methods.js'
import { credentialsBody, optionalRefreshBody, passwordChangeBody, profileBody } from './schemas.js'

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** The cookie flow for browsers: login, refresh, logout, me, password change, CSRF. */
export async function authRoutes(app: FastifyInstance, deps: FlowDeps): Promise<void> {
  const { settings, users, hashers } = deps
  const now = () => deps.now?.() ?? new Date()

  const setPairCookies = (reply: FastifyReply, pair: IssuedPair, extra: string[] = []) => {
    const cookies = [serializeAccessCookie(settings, pair.access.token)]
    if (pair.refresh) cookies.push(serializeRefreshCookie(settings, pair.refresh.token))
    reply.header('set-cookie', [...cookies, ...extra])
  }
  const expiries = (pair: IssuedPair) => ({
    access_expires: pair.access.expiresAt.toISOString(),
    ...(pair.refresh ? { refresh_expires: pair.refresh.expiresAt.toISOString() } : {}),
  })
  const guardOrigin = (request: FastifyRequest) => enforceTrustedOrigin(settings, toAuthRequest(request), ownOrigin(request))
  const currentUser = async (request: FastifyRequest): Promise<User> => {
    const user = request.user
    if (user && !('isTokenUser' in user)) return user
    const loaded = user ? await users.findById(Number(user.id)) : null
    if (!loaded) throw new AuthError('user_not_found', 'User not found')
    return loaded
  }

  app.post<{ Body: { username: string; password: string } }>(
    '/api/auth/login/',
    { schema: { body: credentialsBody } },
    async (request, reply) => {
      guardOrigin(request)
      const { user, pair } = await loginWithPassword(deps, request.body.username, request.body.password, clientInfo(request))
      // A fresh CSRF secret at login, as Django's rotate_token(), so a token planted before login is useless.
      setPairCookies(reply, pair, [serializeCsrfCookie(settings, generateCsrfSecret())])
      return {
        user: toPublicUser(user),
        ...expiries(pair),
        ...(settings.returnTokensInBody ? { access: pair.access.token, refresh: pair.refresh?.token } : {}),
      }
    },
  )
  allowOnly(app, '/api/auth/login/', ['POST'])

  app.post<{ Body: { refresh?: string } | null }>(
    '/api/auth/refresh/',
    { schema: { body: optionalRefreshBody } },
    async (request, reply) => {
      guardOrigin(request)
      const raw = request.cookies[settings.refreshCookie.name] || request.body?.refresh
      try {
        if (!raw) throw new AuthError('token_not_valid', 'No refresh token was provided')
        const pair = await refreshTokens(deps, raw, clientInfo(request))
        setPairCookies(reply, pair)
        return expiries(pair)
      } catch (error) {
        // A refresh that fails leaves no half-valid session behind in the browser (a throttled one is not a verdict).
        if (error instanceof AuthError && error.code !== 'throttled') reply.header('set-cookie', serializeClearedAuthCookies(settings))
        throw error
      }
    },
  )
  allowOnly(app, '/api/auth/refresh/', ['POST'])

  app.post<{ Body: { refresh?: string } | null }>(
    '/api/auth/logout/',
    { schema: { body: optionalRefreshBody } },
    async (request, reply) => {
      guardOrigin(request)
      reply.header('set-cookie', serializeClearedAuthCookies(settings))
      const raw = request.cookies[settings.refreshCookie.name] || request.body?.refresh
      if (raw) {
        try {
          await blacklistRefreshToken(deps, raw)
        } catch (error) {
          // Logout is idempotent: an invalid, expired or already blacklisted token still logs out.
          if (!(error instanceof AuthError)) throw error
        }
      }
      return {}
    },
  )
  allowOnly(app, '/api/auth/logout/', ['POST'])

  app.get('/api/auth/me/', { preHandler: app.authenticate }, async (request) => toPublicUser(await currentUser(request)))
  app.patch<{ Body: { email?: string; first_name?: string; last_name?: string } }>(
    '/api/auth/me/',
    { preHandler: app.authenticate, schema: { body: profileBody } },
    async (request) => {
      const user = await currentUser(request)
      const { email, first_name: firstName, last_name: lastName } = request.body
      if (email !== undefined && email !== '' && !EMAIL.test(email)) {
        throw new ValidationError({ email: ['Enter a valid email address.'] })
      }
      const updated = await users.update(user.id, {
        ...(email !== undefined ? { email } : {}),
        ...(firstName !== undefined ? { firstName } : {}),
        ...(lastName !== undefined ? { lastName } : {}),
      })
      if (!updated) throw new AuthError('user_not_found', 'User not found')
      return toPublicUser(updated)
    },
  )
  allowOnly(app, '/api/auth/me/', ['GET', 'PATCH'])

  app.post<{ Body: { old_password: string; new_password: string } }>(
    '/api/auth/password/change/',
    { preHandler: app.authenticate, schema: { body: passwordChangeBody } },
    async (request, reply) => {
      const user = await currentUser(request)
      const { old_password: oldPassword, new_password: newPassword } = request.body
      const check = await hashers.verify(oldPassword, user.password)
      if (!check.valid) {
        throw new ValidationError({ old_password: ['Your old password was entered incorrectly. Please enter it again.'] })
      }
      const problems = validatePassword(newPassword, settings.passwordValidators, user)
      if (problems.length > 0) throw new ValidationError({ new_password: problems })
      let encoded: string
      try {
        encoded = await hashers.hash(newPassword)
      } catch (error) {
        // The hashers refuse what no hash can hold (lone surrogates, over-long input): a 400, not a 500.
        if (error instanceof RangeError) throw new ValidationError({ new_password: ['This password cannot be used.'] })
        throw error
      }
      await users.setPassword(user.id, encoded)
      // Other sessions end; this one stays, at the new session version (Django's update_session_auth_hash).
      const pair = await endOtherSessions(deps, user, request.auth, clientInfo(request))
      if (pair) setPairCookies(reply, pair)
      return {}
    },
  )
  allowOnly(app, '/api/auth/password/change/', ['POST'])

  app.get('/api/auth/csrf/', async (request, reply) => {
    const secret = csrfSecretFromCookie(request.cookies[settings.csrf.cookieName]) ?? generateCsrfSecret()
    const cookies = [serializeCsrfCookie(settings, secret)]
    const stale = request.cookies[settings.authCookie.name]
    if (stale && !isValidAccess(stale)) cookies.push(serializeClearedAccessCookie(settings))
    reply.header('set-cookie', cookies)
    return { csrfToken: maskCsrfSecret(secret) }
  })
  allowOnly(app, '/api/auth/csrf/', ['GET'])

  function isValidAccess(token: string): boolean {
    try {
      verifyAccessToken(settings, token, { now: now() })
      return true
    } catch {
      return false
    }
  }
}
