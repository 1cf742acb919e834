import type { TLSSocket } from 'node:tls'
import type { Authentication, TokenUser, User } from '@cookiejwt/core'
import {
  readNodeBody,
  type CookiejwtService,
  type ServiceRequest,
  type ServiceResponse,
} from '@cookiejwt/server/service'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

declare module 'express-serve-static-core' {
  interface Request {
    /** The authenticated user, or null; set by `authenticate` / `authenticateOptional`. */
    user?: User | TokenUser | null
    /** The full authentication result (token claims, cookie or header). */
    auth?: Authentication | null
  }
}

/** Describes an Express request for the service. A body an earlier parser already read is handed back as JSON. */
export function toServiceRequest(req: Request): ServiceRequest {
  return {
    method: req.method,
    url: req.originalUrl,
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress,
    encrypted: Boolean((req.socket as TLSSocket).encrypted),
    readBody: async (limit) => {
      if (req.body === undefined) return readNodeBody(req, limit)
      if (Buffer.isBuffer(req.body)) return req.body.length === 0 ? null : req.body
      return Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body))
    },
  }
}

/** Copies a service response onto an Express response. */
export function sendResponse(res: Response, response: ServiceResponse): void {
  res.status(response.status)
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  if (response.cookies.length > 0) res.setHeader('set-cookie', response.cookies)
  res.end(response.body ?? undefined)
}

/**
 * Every endpoint of the contract (`/api/auth/…`, `/api/token/…`, `/api/health/`, the JWKS). Mount it before any
 * body parser, at the application's root; requests for other paths go on to the next handler.
 * @example
 * app.use(cookiejwtRouter(service))
 */
export function cookiejwtRouter(service: CookiejwtService): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const response = await service.handle(toServiceRequest(req))
    if (response === null) return next()
    sendResponse(res, response)
  }
}

/** DRF's 404 with the API headers, for `/api/` paths nothing answered: `app.use('/api', notFound(service))`. */
export function notFound(service: CookiejwtService): RequestHandler {
  return (req: Request, res: Response) => sendResponse(res, service.notFound(toServiceRequest(req)))
}

function authenticateWith(service: CookiejwtService, required: boolean): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const result = await service.authenticate(toServiceRequest(req), { required })
    if (!result.ok) return sendResponse(res, result.response)
    req.auth = result.auth
    req.user = result.auth?.user ?? null
    next()
  }
}

/** Middleware: 401 without valid credentials, 403 for a cookie-authenticated unsafe request without CSRF; sets `req.user`. */
export function authenticate(service: CookiejwtService): RequestHandler {
  return authenticateWith(service, true)
}

/** Middleware: like `authenticate`, but anonymous requests pass with `req.user === null`. */
export function authenticateOptional(service: CookiejwtService): RequestHandler {
  return authenticateWith(service, false)
}
