import type {
  Authentication,
  AuthSettings,
  PasswordHashers,
  TokenStore,
  TrustProxy,
  User,
  UserStore,
} from '@cookiejwt/core'
import type { AccountService } from '../accounts/service.js'
import type { Mailer } from '../email/mailer.js'
import type { MfaDeps } from '../mfa/flows.js'
import type { ThrottleStore } from '../throttle/throttle-store.js'
import type { SessionManager, ClientInfo } from '../sessions/manager.js'
import type { DatabaseHandle } from '../storage/db.js'
import type { LoginThrottle } from '../throttle/lockout.js'

/** Extra health checks (e.g. Redis) resolving when healthy, rejecting otherwise. */
export type HealthCheck = () => Promise<void>

/** HTTP methods a route can answer. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * One HTTP request as every adapter describes it: what the service needs and nothing framework-specific.
 * Header names are lower-case. `readBody` is called at most once, only for a route that takes a body.
 */
export interface ServiceRequest {
  readonly method: string
  /** Path and query string as received (`/api/auth/me/?x=1`). */
  readonly url: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** The peer's address on the socket (the proxy's, behind one). */
  readonly remoteAddress?: string | undefined
  /** Whether the connection itself is TLS. */
  readonly encrypted?: boolean | undefined
  /** Reads the whole body, refusing more than `limit` bytes with `PayloadTooLargeError`; null when there is none. */
  readonly readBody?: ((limit: number) => Promise<Uint8Array | null>) | undefined
  /** Cookies already parsed by the framework; parsed from the `Cookie` header otherwise. */
  readonly cookies?: Readonly<Record<string, string | undefined>> | undefined
}

/** What the service answers; adapters copy it onto their framework's response. */
export interface ServiceResponse {
  status: number
  /** Lower-case header names; `set-cookie` is never here (see `cookies`). */
  headers: Record<string, string>
  /** Serialized `Set-Cookie` values, one per cookie. */
  cookies: string[]
  /** The serialized body (JSON unless `content-type` says otherwise), or null for none. */
  body: string | null
}

/** A pino-compatible logger; security events are written through it. */
export interface ServiceLogger {
  info(object: object, message?: string): void
  warn(object: object, message?: string): void
  error(object: object, message?: string): void
}

/** Everything the routes share: settings, stores, hashers, sessions, throttling, the database and a clock. */
export interface ServiceDeps {
  readonly settings: AuthSettings
  readonly database: DatabaseHandle
  readonly users: UserStore
  readonly tokens: TokenStore
  readonly hashers: PasswordHashers
  readonly sessions: SessionManager
  readonly throttle: LoginThrottle
  /** Queues account emails (delivered by the service's worker). */
  readonly mailer: Mailer
  /** The throttling counters behind `throttle` (Redis or the database); also remembers spent `mfa` tokens. */
  readonly throttleStore: ThrottleStore
  /** The TOTP second factor: its store, key ring and code throttle. */
  readonly mfa: MfaDeps
  /** Sign-up, email verification, password reset. */
  readonly accounts: AccountService
  /** The login step after a right password (mandatory email verification). */
  readonly afterPassword: (user: User) => Promise<void>
  readonly log: ServiceLogger
  readonly healthChecks: Readonly<Record<string, HealthCheck>>
  /** The proxies whose `X-Forwarded-For`/`-Proto`/`-Host` are believed (`settings.trustProxy`; see `peerOf`). */
  readonly trustProxy: TrustProxy
  readonly now: () => Date
}

/** The request as a route handler sees it, after parsing, validation and authentication. */
export interface RouteContext<Body = any, Query = Record<string, string>> {
  readonly method: string
  readonly path: string
  readonly headers: ServiceRequest['headers']
  /** A header by lower-case name (first value when repeated). */
  header(name: string): string | undefined
  cookie(name: string): string | undefined
  readonly params: Readonly<Record<string, string>>
  readonly query: Query
  readonly body: Body
  /** The authentication result; null on anonymous requests (`auth: 'optional'` or `'none'`). */
  readonly auth: Authentication | null
  /** The authenticated user loaded from the store (also with `statelessUser`); 401 `user_not_found` when gone. */
  user(): Promise<User>
  /** Client IP (the proxy's view when `trustProxy`) and user agent. */
  readonly client: ClientInfo
  /** `http` or `https` (per `X-Forwarded-Proto` behind a trusted proxy). */
  readonly protocol: 'http' | 'https'
  /** The request's own origin, against which `Origin` headers are checked. */
  readonly ownOrigin: string
  readonly now: Date
  readonly deps: ServiceDeps
}

/** What a handler returns; status defaults to 200 and the body is sent as JSON. */
export interface RouteResult {
  status?: number
  body?: unknown
  cookies?: string[]
  headers?: Record<string, string>
  /** A body that is already serialized (then `content-type` should be in `headers`). */
  raw?: string
}

/** JSON Schema (draft 7 as ajv reads it); kept loose on purpose. */
export type JsonSchema = Record<string, unknown>

/** Documentation and validation of a route; used for ajv and for the OpenAPI document. */
export interface RouteSchema {
  body?: JsonSchema
  querystring?: JsonSchema
  params?: JsonSchema
  /** Response schemas by status. */
  response?: Record<number, JsonSchema>
  summary?: string
  tags?: string[]
  /** Error codes this route can answer, documented per status. */
  errors?: string[]
}

/** One endpoint, written once, answered the same by every adapter. */
export interface RouteDef {
  readonly method: RouteMethod
  /** Path with `:name` parameters, trailing slash included (`/api/auth/sessions/:id/`). */
  readonly path: string
  /**
   * `required`: 401 without valid credentials. `optional`: anonymous passes with `auth === null`. Either way a
   * cookie-authenticated unsafe request needs a CSRF token and a trusted `Origin`. `none`: no authentication.
   * @default 'none'
   */
  readonly auth?: 'required' | 'optional' | 'none'
  /** For unauthenticated unsafe routes that use cookies (login, refresh, logout): refuse a foreign `Origin`. */
  readonly guardOrigin?: boolean
  readonly schema?: RouteSchema
  handler(context: RouteContext): Promise<RouteResult> | RouteResult
}
