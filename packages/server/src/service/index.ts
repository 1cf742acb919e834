export { createService, API_CSP, APP_CSP, APP_HEADERS } from './service.js'
export type { AuthenticateResult, CookiejwtService, ServiceOptions } from './service.js'
export { createAuthenticator } from './authenticator.js'
export type { Authenticator } from './authenticator.js'
export { parseJsonBody, payloadTooLarge, readNodeBody, readWebBody } from './body.js'
export { renderServiceError, STATUS_BY_CODE, withCookies } from './errors.js'
export type { ErrorBody, RenderedError } from './errors.js'
export { cookieReader, headerOf, peerOf } from './request.js'
export type { Peer } from './request.js'
export { compileValidator, validationFields } from './validate.js'
export { JWKS_PATH } from './routes/jwks.js'
export type { HealthCheck } from './routes/health.js'
export type {
  JsonSchema,
  RouteContext,
  RouteDef,
  RouteMethod,
  RouteResult,
  RouteSchema,
  ServiceDeps,
  ServiceLogger,
  ServiceRequest,
  ServiceResponse,
} from './types.js'
