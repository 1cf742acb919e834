import fastifyCookie from '@fastify/cookie'
import {
  AuthError,
  authenticateRequest,
  enforceCsrf,
  type Authentication,
  type AuthenticateDeps,
  type AuthRequest,
  type AuthSettings,
  type TokenUser,
  type User,
  type UserStore,
} from '@cookiejwt/core'
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { sendError } from './errors.js'

/** Options of the cookiejwt Fastify plugin. */
export interface CookiejwtPluginOptions {
  settings: AuthSettings
  /** Where users are loaded from (not needed with `statelessUser`). */
  users: Pick<UserStore, 'findById' | 'findByUsername'>
  /** Optional per-request revocation check (revoked sessions, older session versions); true refuses the token. */
  isRevoked?: AuthenticateDeps['isRevoked']
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user, or null; set by `app.authenticate` / `app.authenticateOptional`. */
    user: User | TokenUser | null
    /** The full authentication result (token claims, whether it came from the cookie or the header). */
    auth: Authentication | null
  }
  interface FastifyInstance {
    /** preHandler: 401 without valid credentials; CSRF enforced for cookie-authenticated unsafe methods. */
    authenticate: preHandlerHookHandler
    /** preHandler: like `authenticate`, but anonymous requests pass with `request.user === null`. */
    authenticateOptional: preHandlerHookHandler
    cookiejwt: { settings: AuthSettings }
  }
}

/** Adapts a Fastify request to the framework-agnostic `AuthRequest`. */
export function toAuthRequest(request: FastifyRequest): AuthRequest {
  return {
    method: request.method,
    header: (name) => {
      const value = request.headers[name]
      return Array.isArray(value) ? value[0] : value
    },
    cookie: (name) => request.cookies?.[name],
  }
}

/** The request's own origin (`scheme://host[:port]`), against which `Origin` headers are checked. */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`
}

async function plugin(app: FastifyInstance, options: CookiejwtPluginOptions): Promise<void> {
  const { settings, users } = options
  const authDeps: AuthenticateDeps = options.isRevoked ? { users, isRevoked: options.isRevoked } : { users }
  if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie)
  app.decorateRequest('user', null)
  app.decorateRequest('auth', null)
  app.decorate('cookiejwt', { settings })

  const run = async (request: FastifyRequest, reply: FastifyReply, required: boolean): Promise<void> => {
    try {
      const authRequest = toAuthRequest(request)
      const auth = await authenticateRequest(settings, authRequest, authDeps)
      if (auth === null) {
        if (required) throw new AuthError('not_authenticated', 'Authentication credentials were not provided.')
        return
      }
      if (auth.via === 'cookie') enforceCsrf(settings, authRequest, ownOrigin(request))
      request.auth = auth
      request.user = auth.user
    } catch (error) {
      await sendError(reply, error)
    }
  }

  app.decorate('authenticate', function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    return run(request, reply, true)
  } as preHandlerHookHandler)
  app.decorate('authenticateOptional', function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    return run(request, reply, false)
  } as preHandlerHookHandler)
}

/**
 * The cookiejwt Fastify plugin: parses cookies, decorates `request.user`, and provides the `app.authenticate`
 * preHandler. Errors are answered in DRF's shape by the hook itself.
 * @example
 * await app.register(cookiejwt, { settings, users })
 * app.get('/private', { preHandler: app.authenticate }, (request) => ({ id: request.user?.id }))
 */
export const cookiejwt = fp(plugin, { name: '@cookiejwt/server', fastify: '5.x' })
