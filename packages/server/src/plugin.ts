import type {
  Authentication,
  AuthenticateDeps,
  AuthSettings,
  TokenUser,
  TrustProxy,
  User,
  UserStore,
} from '@cookiejwt/core'
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { createAuthenticator } from './service/authenticator.js'
import { cookieReader } from './service/request.js'
import type { CookiejwtService } from './service/service.js'
import type { ServiceRequest, ServiceResponse } from './service/types.js'
import { renderServiceError } from './service/errors.js'

/** Options of the cookiejwt Fastify plugin: a service (`createService`), or settings and a user store. */
export type CookiejwtPluginOptions =
  | { service: CookiejwtService }
  | {
      settings: AuthSettings
      /** Where users are loaded from (not needed with `statelessUser`). */
      users: Pick<UserStore, 'findById' | 'findByUsername'>
      /** Optional per-request revocation check (revoked sessions, older session versions); true refuses the token. */
      isRevoked?: AuthenticateDeps['isRevoked']
      /** The proxies whose `X-Forwarded-Proto`/`-Host` decide the origin `Origin` is checked against. @default settings.trustProxy */
      trustProxy?: TrustProxy
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

/** Describes a Fastify request for the service; the body is the buffer of the catch-all content-type parser. */
export function toServiceRequest(request: FastifyRequest): ServiceRequest {
  const socket = request.raw.socket
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    remoteAddress: socket?.remoteAddress,
    encrypted: Boolean((socket as { encrypted?: boolean } | undefined)?.encrypted),
    readBody: async () => {
      const body = request.body
      if (body === undefined || body === null) return null
      if (body instanceof Uint8Array) return body.byteLength === 0 ? null : body
      // Another plugin of the application parsed it already: hand it back as JSON text.
      return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
    },
  }
}

/** Copies a service response onto a Fastify reply. */
export function sendServiceResponse(reply: FastifyReply, response: ServiceResponse): FastifyReply {
  reply.code(response.status)
  reply.headers(response.headers)
  if (response.cookies.length > 0) reply.header('set-cookie', response.cookies)
  return reply.send(response.body ?? undefined)
}

async function plugin(app: FastifyInstance, options: CookiejwtPluginOptions): Promise<void> {
  const settings = 'service' in options ? options.service.settings : options.settings
  const authenticate =
    'service' in options
      ? null
      : createAuthenticator(
          settings,
          options.isRevoked
            ? { users: options.users, isRevoked: options.isRevoked }
            : { users: options.users },
          options.trustProxy ?? settings.trustProxy,
        )
  app.decorateRequest('user', null)
  app.decorateRequest('auth', null)
  app.decorate('cookiejwt', { settings })

  const run = async (
    request: FastifyRequest,
    reply: FastifyReply,
    required: boolean,
  ): Promise<void> => {
    const serviceRequest = toServiceRequest(request)
    let auth: Authentication | null
    if ('service' in options) {
      const result = await options.service.authenticate(serviceRequest, { required })
      if (!result.ok) {
        await sendServiceResponse(reply, result.response)
        return
      }
      auth = result.auth
    } else {
      try {
        auth = await authenticate!(serviceRequest, cookieReader(serviceRequest), required)
      } catch (error) {
        const { status, body, headers } = renderServiceError(error)
        await reply.code(status).headers(headers).header('cache-control', 'no-store').send(body)
        return
      }
    }
    request.auth = auth
    request.user = auth?.user ?? null
  }

  app.decorate('authenticate', function (
    this: FastifyInstance,
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    return run(request, reply, true)
  } as preHandlerHookHandler)
  app.decorate('authenticateOptional', function (
    this: FastifyInstance,
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    return run(request, reply, false)
  } as preHandlerHookHandler)
}

/**
 * The cookiejwt Fastify plugin: decorates `request.user` and provides the `app.authenticate` preHandler for an
 * application's own routes. Errors are answered in DRF's shape by the hook itself.
 * @example
 * await app.register(cookiejwt, { service })   // or { settings, users }
 * app.get('/private', { preHandler: app.authenticate }, (request) => ({ id: request.user?.id }))
 */
export const cookiejwt = fp(plugin, { name: '@cookiejwt/server', fastify: '5.x' })
