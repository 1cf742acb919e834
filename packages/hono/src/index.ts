import type { Authentication, TokenUser, User } from '@cookiejwt/core'
import {
  readWebBody,
  type CookiejwtService,
  type ServiceRequest,
  type ServiceResponse,
} from '@cookiejwt/server/service'
import type { Context, MiddlewareHandler } from 'hono'

/** The variables cookiejwt's middleware sets: `c.get('user')`, `c.get('auth')`. */
export interface CookiejwtEnv {
  Variables: {
    user: User | TokenUser | null
    auth: Authentication | null
  }
}

/** What `@hono/node-server` puts in `c.env`: Node's own request, whose parsed headers need no copying. */
interface NodeBindings {
  incoming?: {
    url?: string
    headers: ServiceRequest['headers']
    socket?: { remoteAddress?: string; encrypted?: boolean }
  }
}

/** Describes a Hono request for the service. */
export function toServiceRequest(c: Context): ServiceRequest {
  const incoming = (c.env as NodeBindings | undefined)?.incoming
  // On @hono/node-server: Node's request as it is (building a WHATWG Headers and URL costs more than the rest of a
  // cookie GET); on other runtimes, the standard Request.
  if (incoming?.url !== undefined && incoming.headers) {
    return {
      method: c.req.method,
      url: incoming.url,
      headers: incoming.headers,
      remoteAddress: incoming.socket?.remoteAddress,
      encrypted: Boolean(incoming.socket?.encrypted),
      readBody: (limit) => readWebBody(c.req.raw, limit),
    }
  }
  const url = new URL(c.req.url)
  const headers: Record<string, string> = {}
  c.req.raw.headers.forEach((value, name) => {
    headers[name] = value
  })
  return {
    method: c.req.method,
    url: url.pathname + url.search,
    headers,
    remoteAddress: undefined,
    encrypted: url.protocol === 'https:',
    readBody: (limit) => readWebBody(c.req.raw, limit),
  }
}

/** A WHATWG `Response` for a service response (one `Set-Cookie` header per cookie). */
export function toResponse(response: ServiceResponse): Response {
  // Without cookies the headers stay a plain object: @hono/node-server writes those straight to the socket. With
  // cookies, a Headers object, where each Set-Cookie stays a header of its own on every runtime.
  if (response.cookies.length === 0)
    return new Response(response.body, { status: response.status, headers: response.headers })
  const headers = new Headers(response.headers)
  for (const cookie of response.cookies) headers.append('set-cookie', cookie)
  return new Response(response.body, { status: response.status, headers })
}

/**
 * Every endpoint of the contract, as middleware: requests for the service's paths are answered, the others go on.
 * @example
 * app.use('*', cookiejwt(service))
 */
export function cookiejwt(service: CookiejwtService): MiddlewareHandler {
  return async (c, next) => {
    const response = await service.handle(toServiceRequest(c))
    if (response === null) return next()
    return toResponse(response)
  }
}

/** DRF's 404 with the API headers, for `/api/` paths nothing answered: `app.notFound(notFound(service))` or a route. */
export function notFound(service: CookiejwtService): (c: Context) => Response {
  return (c) => toResponse(service.notFound(toServiceRequest(c)))
}

function authenticateWith(
  service: CookiejwtService,
  required: boolean,
): MiddlewareHandler<CookiejwtEnv> {
  return async (c, next) => {
    const result = await service.authenticate(toServiceRequest(c), { required })
    if (!result.ok) return toResponse(result.response)
    c.set('auth', result.auth)
    c.set('user', result.auth?.user ?? null)
    await next()
    return undefined
  }
}

/** Middleware: 401 without valid credentials, 403 for a cookie-authenticated unsafe request without CSRF; sets `c.get('user')`. */
export function authenticate(service: CookiejwtService): MiddlewareHandler<CookiejwtEnv> {
  return authenticateWith(service, true)
}

/** Middleware: like `authenticate`, but anonymous requests pass with `c.get('user') === null`. */
export function authenticateOptional(service: CookiejwtService): MiddlewareHandler<CookiejwtEnv> {
  return authenticateWith(service, false)
}
