// Over 300 lines on purpose: the whole request pipeline (match, CORS, parse, validate, authenticate, handle, errors)
// reads top to bottom in one place; each step's logic lives in its own module beside it.
import {
  AuthError,
  ImproperlyConfigured,
  createPasswordHashers,
  enforceTrustedOrigin,
  serializeClearedLegacyCookies,
  type Authentication,
  type AuthenticateDeps,
  type AuthSettings,
  type PasswordHashers,
  type TokenStore,
  type TrustProxy,
  type User,
  type UserStore,
} from '@cookiejwt/core'
import { AccountService } from '../accounts/service.js'
import { AccountStore } from '../accounts/store.js'
import { createEmailBackend, type EmailBackend } from '../email/backends.js'
import { Mailer } from '../email/mailer.js'
import { EmailQueue } from '../email/queue.js'
import { EmailWorker } from '../email/worker.js'
import { limitHashing } from '../hash-limit.js'
import { logSecurityEvent } from '../security-log.js'
import type { MfaDeps } from '../mfa/flows.js'
import { mfaKeyRingFromSettings } from '../mfa/key-ring.js'
import { KyselyMfaStore } from '../mfa/store.js'
import { CodeThrottle } from '../mfa/throttle.js'
import type { RevocationCache } from '../sessions/revocation-cache.js'
import type { ThrottleStore } from '../throttle/throttle-store.js'
import { SessionManager } from '../sessions/manager.js'
import type { DatabaseHandle } from '../storage/db.js'
import { KyselyTokenStore } from '../storage/tokens.js'
import { assertUserTable } from '../storage/user-table.js'
import { KyselyUserStore } from '../storage/users.js'
import { LoginThrottle } from '../throttle/lockout.js'
import { DatabaseThrottleStore } from '../throttle/store.js'
import { createAuthenticator } from './authenticator.js'
import { parseJsonBody } from './body.js'
import { createCors } from './cors.js'
import { renderServiceError } from './errors.js'
import { cookieReader, headerOf, peerOf, toAuthRequest, type Peer } from './request.js'
import { Router } from './router.js'
import { docsRoutes } from './routes/docs.js'
import { defaultRoutes } from './routes/index.js'
import type { HealthCheck } from './routes/health.js'
import type {
  RouteContext,
  RouteDef,
  ServiceDeps,
  ServiceLogger,
  ServiceRequest,
  ServiceResponse,
} from './types.js'
import { compileValidator } from './validate.js'

/** What `createService` needs besides settings; everything but the database has a default. */
export interface ServiceOptions {
  /** An open database (see `openDatabase`); `service.close()` closes it. */
  database: DatabaseHandle
  /** Password hashes allowed to run at once (the rest queue). @default available cores − 1, at least 1 */
  hashConcurrency?: number
  /** Password hashers; default: built from `settings.passwordHasher` and `settings.passwordHasherOptions`. */
  hashers?: PasswordHashers
  /** Stores; default: Kysely stores on `database`. */
  users?: UserStore
  tokens?: TokenStore
  /** Security events and server errors go here (pino-compatible). @default silent */
  logger?: ServiceLogger
  /**
   * The reverse proxies whose `X-Forwarded-*` headers are believed: a hop count, `true` for every hop, `false` for
   * none (see `peerOf`). @default settings.trustProxy
   */
  trustProxy?: TrustProxy
  /** A clock, for tests. */
  now?: () => Date
  /** Shared revocations across processes (Redis, see `src/redis/`); default: each process asks the database. */
  revocationCache?: RevocationCache
  /** Throttling counters (e.g. `RedisThrottleStore`); default: the `cookiejwt_throttle` table. */
  throttleStore?: ThrottleStore
  /** Extra `/api/health/` checks. */
  healthChecks?: Record<string, HealthCheck>
  /** More routes, answered like the built-in ones (same parsing, validation, authentication, errors). */
  routes?: readonly RouteDef[]
  /** Delivers queued email; default: the backend `settings.email` names. `null` runs no email worker in this process. */
  emailBackend?: EmailBackend | null
}

/** The result of `service.authenticate` for an application's own routes. */
export type AuthenticateResult =
  | { readonly ok: true; readonly auth: Authentication | null }
  | { readonly ok: false; readonly response: ServiceResponse }

/** cookiejwt's endpoints and authentication, framework-neutral; adapters translate requests and responses. */
export interface CookiejwtService {
  readonly settings: AuthSettings
  readonly deps: ServiceDeps
  /** Every route the service answers (for OpenAPI and adapters that register routes one by one). */
  readonly routes: readonly RouteDef[]
  /** Whether a path (no query string) is one of the service's; adapters pass other paths on. */
  owns(path: string): boolean
  /** Answers a request for one of the service's paths; null when the path is not the service's. */
  handle(request: ServiceRequest): Promise<ServiceResponse | null>
  /** DRF's 404 with the API headers, for an `/api/` path no route has. */
  notFound(request: ServiceRequest): ServiceResponse
  /** Headers for a page of a single-page app served beside the API: `APP_HEADERS`, and HSTS over HTTPS. */
  appHeaders(request: ServiceRequest): Record<string, string>
  /**
   * Authenticates a request for an application's own route: Bearer header first, else the access cookie, with CSRF
   * and `Origin` checks for cookie-authenticated unsafe methods. `required`: anonymous is a 401.
   */
  authenticate(
    request: ServiceRequest,
    options?: { required?: boolean },
  ): Promise<AuthenticateResult>
  /** The DRF-shaped response for any error (unknown errors are a 500 that reveals nothing, and are logged). */
  errorResponse(error: unknown, request?: ServiceRequest): ServiceResponse
  /** Stops background work and closes the database. */
  close(): Promise<void>
}

const SILENT: ServiceLogger = { info() {}, warn() {}, error() {} }
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const EMPTY_QUERY: Record<string, string> = Object.freeze({})
const JSON_TYPE = 'application/json; charset=utf-8'
const SECURE = /;\s*secure\s*(?:;|$)/i

/** Content-Security-Policy of API responses: nothing may load, nothing may frame. */
export const API_CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"

/** Content-Security-Policy of the single-page app: same-origin scripts and styles only, never framed. */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** Headers for the pages of a single-page app served beside the API (every adapter's example uses them). */
export const APP_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'content-security-policy': APP_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
})

/**
 * Builds the framework-neutral cookiejwt service: the contract's endpoints over the given database, with sessions,
 * throttling, CORS, CSRF, security headers and DRF-shaped errors. It never listens: an adapter feeds it requests.
 * @example
 * const service = await createService(settings, { database: await openDatabase('sqlite:data/db.sqlite3') })
 */
export async function createService(
  settings: AuthSettings,
  options: ServiceOptions,
): Promise<CookiejwtService> {
  const database = options.database
  const log = options.logger ?? SILENT
  // The user table must match settings.userTable: an ImproperlyConfigured naming the column now, never a 500 later.
  if (!options.users) await assertUserTable(database, settings.userTable)
  const users = options.users ?? new KyselyUserStore(database, settings.userTable)
  const tokens = options.tokens ?? new KyselyTokenStore(database, settings.userTable)
  const hashers = limitHashing(
    options.hashers ??
      createPasswordHashers({
        ...(settings.passwordHasherOptions as object),
        default: settings.passwordHasher,
      }),
    options.hashConcurrency,
  )
  const sessions = new SessionManager({
    settings,
    database,
    tokens,
    revocationCache: options.revocationCache,
    // Security events (src/security-log.ts) name the jti, family and user — never a token.
    log,
  })
  const throttleStore = options.throttleStore ?? new DatabaseThrottleStore(database)
  const throttle = new LoginThrottle(settings.throttle, throttleStore)
  const mfa: MfaDeps = {
    settings,
    store: new KyselyMfaStore(database),
    keyRing: mfaKeyRingFromSettings(settings),
    hashers,
    codeThrottle: new CodeThrottle(settings, throttleStore),
    loginThrottle: throttle,
    // Second-factor events name the user and address, never a secret or code.
    onEvent: (e) => {
      const ip = 'ip' in e ? e.ip : undefined
      const scope = e.event === 'mfa_failed' && e.locked.length > 0 ? e.locked : undefined
      const retryAfter = e.event === 'mfa_throttled' ? e.retryAfter : undefined
      logSecurityEvent(log, e.event, { userId: e.userId, ip, scope, retryAfter })
      if (scope) logSecurityEvent(log, 'lockout', { userId: e.userId, ip, scope })
    },
  }
  // The outgoing email queue, delivered in the background of this process (see src/email/); requests only queue.
  const emailQueue = new EmailQueue(database)
  const emailWorker =
    options.emailBackend === null
      ? null
      : new EmailWorker({
          queue: emailQueue,
          backend: options.emailBackend ?? createEmailBackend(settings.email),
          settings: settings.email,
          // Events carry the message id, template and error: never an address's mail or a link.
          onEvent: (event) => {
            if (event.event === 'email_sent') log.info(event, 'email sent')
            else
              log.warn(
                event,
                event.event === 'email_failed'
                  ? 'email failed: gave up (see `cookiejwt emails list`)'
                  : 'email delivery failed',
              )
          },
        })
  const mailer = new Mailer({ queue: emailQueue, settings, worker: emailWorker })
  emailWorker?.start()
  const now = options.now ?? (() => new Date())
  // Links in account emails come from frontendUrl alone, never from a request's Host (reset-link poisoning).
  if (
    settings.frontendUrl === null &&
    (settings.registration || settings.emailVerification === 'mandatory')
  ) {
    throw new ImproperlyConfigured(
      '"frontendUrl" is required with registration or mandatory email verification (COOKIEJWT_FRONTEND_URL)',
    )
  }
  const accounts = new AccountService({
    settings,
    users,
    hashers,
    sessions,
    mailer,
    store: new AccountStore(database),
    throttleStore,
    now,
    warn: (message) => log.warn({ event: 'frontend_url_missing' }, message),
  })
  const deps: ServiceDeps = {
    settings,
    database,
    users,
    tokens,
    hashers,
    sessions,
    throttle,
    mailer,
    throttleStore,
    mfa,
    accounts,
    afterPassword: (user) => accounts.checkLogin(user),
    log,
    healthChecks: { ...(options.healthChecks ?? {}) },
    trustProxy: options.trustProxy ?? settings.trustProxy,
    now,
  }
  const routes: RouteDef[] = [...defaultRoutes(deps), ...(options.routes ?? [])]
  // The OpenAPI document and its reference page describe every route, the application's own included.
  routes.push(...docsRoutes(deps, () => routes))
  const router = new Router(routes)
  const validators = new Map<
    RouteDef,
    { body?: (d: unknown) => void; query?: (d: unknown) => void; params?: (d: unknown) => void }
  >()
  for (const route of routes) {
    const s = route.schema
    validators.set(route, {
      ...(s?.body ? { body: compileValidator(s.body) } : {}),
      ...(s?.querystring ? { query: compileValidator(s.querystring) } : {}),
      ...(s?.params ? { params: compileValidator(s.params) } : {}),
    })
  }
  const cors = createCors(settings)
  const authDeps: AuthenticateDeps = settings.revocationChecks
    ? { users, isRevoked: (token) => sessions.isRevoked(token) }
    : { users }
  const jwtNames = new Set([settings.authCookie.name, settings.refreshCookie.name])
  const legacyClears = serializeClearedLegacyCookies(settings)

  // Client IP, scheme and host: read once per request by handle(), which passes them on; the other entry points
  // (appHeaders, notFound, errorResponse from an adapter) read them when asked.
  const hsts =
    settings.hstsMaxAge === null ? null : `max-age=${settings.hstsMaxAge}; includeSubDomains`
  const baseHeaders = (request: ServiceRequest, peer: Peer): Record<string, string> => {
    const headers: Record<string, string> = {
      'x-content-type-options': 'nosniff',
      // Tokens and user data must never sit in a shared or browser cache.
      'cache-control': 'no-store',
      'content-security-policy': API_CSP,
      'x-frame-options': 'DENY',
      // API URLs carry ids and query strings that are no third party's business (ASVS 5.0 §3.4.5).
      'referrer-policy': 'no-referrer',
      vary: 'Origin',
    }
    // Only over HTTPS: a browser ignores the header over plain HTTP (RFC 6797 §8.1).
    if (hsts !== null && peer.protocol === 'https') headers['strict-transport-security'] = hsts
    const origin = headerOf(request.headers, 'origin')
    if (origin !== undefined) Object.assign(headers, cors.responseHeaders(origin))
    return headers
  }

  const errorResponse = (
    error: unknown,
    request?: ServiceRequest,
    known?: Peer,
  ): ServiceResponse => {
    const peer = request ? (known ?? peerOf(request, deps.trustProxy)) : null
    const rendered = renderServiceError(error)
    if (rendered.status >= 500 && !(error instanceof AuthError))
      log.error({ err: error }, 'request failed')
    // A refused authorisation (CSRF, Origin, a non-staff user on the admin API) is a security event (ASVS 16.3.2).
    if (request && error instanceof AuthError && error.code === 'permission_denied') {
      logSecurityEvent(log, 'access_denied', {
        reason: error.message,
        path: request.url.split('?')[0],
        method: request.method,
        ip: (peer as Peer).ip,
        userAgent: headerOf(request.headers, 'user-agent'),
      })
    }
    return {
      status: rendered.status,
      headers: {
        ...(request ? baseHeaders(request, peer as Peer) : {}),
        ...rendered.headers,
        'content-type': JSON_TYPE,
        'cache-control': 'no-store',
      },
      cookies: [],
      body: JSON.stringify(rendered.body),
    }
  }

  const authenticateWith = createAuthenticator(settings, authDeps, deps.trustProxy)

  /** Secure on every cookie over HTTPS; legacy cookies cleared whenever a JWT cookie is set or cleared. */
  const cookieHygiene = (
    cookies: string[],
    protocol: 'http' | 'https',
    request: ServiceRequest,
  ): string[] => {
    let out = cookies
    if (
      legacyClears.length > 0 &&
      out.some((c) => jwtNames.has(c.slice(0, c.indexOf('=')).trim()))
    ) {
      out = [...out, ...legacyClears]
      const raw = headerOf(request.headers, 'cookie') ?? ''
      const seen = new Map<string, number>()
      for (const part of raw.split(';')) {
        const name = part.slice(0, part.indexOf('=')).trim()
        if (jwtNames.has(name)) seen.set(name, (seen.get(name) ?? 0) + 1)
      }
      const duplicates = [...seen].filter(([, n]) => n > 1).map(([name]) => name)
      if (duplicates.length > 0)
        log.warn(
          { cookies: duplicates },
          'request carried duplicate auth cookies; clearing legacy cookies',
        )
    }
    if (protocol === 'https') out = out.map((c) => (SECURE.test(c) ? c : `${c}; Secure`))
    return out
  }

  const pathOf = (url: string): string => {
    const q = url.indexOf('?')
    return q < 0 ? url : url.slice(0, q)
  }

  const handle = async (request: ServiceRequest): Promise<ServiceResponse | null> => {
    const path = pathOf(request.url)
    const match = router.match(path)
    if (match === null) return null
    const method = request.method.toUpperCase()
    const peer = peerOf(request, deps.trustProxy)
    try {
      if (method === 'OPTIONS') {
        const preflight = cors.preflight(
          headerOf(request.headers, 'origin'),
          headerOf(request.headers, 'access-control-request-method'),
        )
        if (preflight === null) throw new AuthError('not_found', 'Not found.')
        return {
          status: preflight.status,
          headers: { 'x-content-type-options': 'nosniff', vary: 'Origin', ...preflight.headers },
          cookies: [],
          body: preflight.body,
        }
      }
      const route = match.routes.byMethod.get(method === 'HEAD' ? 'GET' : method)
      if (route === undefined) {
        const response = errorResponse(
          new AuthError('method_not_allowed', `Method "${method}" not allowed.`),
          request,
          peer,
        )
        response.headers.allow = match.routes.allow
        return response
      }
      const cookie = cookieReader(request)
      // Authentication (and CSRF) come before the body is read, as in DRF: an anonymous or forged request is a
      // 401/403 whatever its body, and no body is parsed for a request that may not make it.
      const mode = route.auth ?? 'none'
      const auth =
        mode === 'none' ? null : await authenticateWith(request, cookie, mode === 'required')
      const validator = validators.get(route)
      let body: unknown
      if (BODY_METHODS.has(method)) {
        const raw = request.readBody ? await request.readBody(settings.bodyLimit) : null
        body = parseJsonBody(raw, headerOf(request.headers, 'content-type'))
      }
      // As Fastify: a missing body is validated as null.
      validator?.body?.(body ?? null)
      const query = route.schema?.querystring ? queryOf(request.url) : EMPTY_QUERY
      validator?.query?.(query)
      validator?.params?.(match.params)
      const ownOrigin = `${peer.protocol}://${peer.host}`
      // Routes without authentication (login, refresh, logout…) refuse a foreign Origin once the body is known to
      // be JSON: a cross-site form post is a 415 that never reaches the credentials.
      if (route.guardOrigin)
        enforceTrustedOrigin(settings, toAuthRequest(request, cookie), ownOrigin)
      const context: RouteContext = {
        method,
        path,
        headers: request.headers,
        header: (name) => headerOf(request.headers, name),
        cookie,
        params: match.params,
        query,
        body,
        auth,
        user: () => loadCurrentUser(auth, users),
        client: { ip: peer.ip, userAgent: headerOf(request.headers, 'user-agent') },
        protocol: peer.protocol,
        ownOrigin,
        now: deps.now(),
        deps,
      }
      const result = await route.handler(context)
      const status = result.status ?? 200
      const headers = baseHeaders(request, peer)
      if (result.headers !== undefined) Object.assign(headers, result.headers)
      let payload: string | null = null
      if (status !== 204 && status !== 304) {
        if (result.raw !== undefined) payload = result.raw
        else {
          payload = JSON.stringify(result.body ?? {})
          headers['content-type'] ??= JSON_TYPE
        }
      }
      if (method === 'HEAD') payload = null
      const cookies =
        result.cookies && result.cookies.length > 0
          ? cookieHygiene(result.cookies, peer.protocol, request)
          : []
      return { status, headers, cookies, body: payload }
    } catch (error) {
      const response = errorResponse(error, request, peer)
      // Errors may set cookies too (a failed refresh clears the session's cookies).
      const cookies = (error as { cookies?: unknown }).cookies
      if (Array.isArray(cookies))
        response.cookies = cookieHygiene(cookies as string[], peer.protocol, request)
      if (method === 'HEAD') response.body = null
      return response
    }
  }

  return {
    settings,
    deps,
    routes,
    owns: (path) => router.match(path) !== null,
    handle,
    notFound: (request) => errorResponse(new AuthError('not_found', 'Not found.'), request),
    appHeaders: (request) =>
      // Never over plain HTTP (RFC 6797 §8.1).
      hsts !== null && peerOf(request, deps.trustProxy).protocol === 'https'
        ? { ...APP_HEADERS, 'strict-transport-security': hsts }
        : { ...APP_HEADERS },
    async authenticate(request, opts = {}) {
      try {
        return {
          ok: true,
          auth: await authenticateWith(request, cookieReader(request), opts.required ?? true),
        }
      } catch (error) {
        return { ok: false, response: errorResponse(error, request) }
      }
    },
    errorResponse,
    async close() {
      // The worker finishes the message in hand before the database goes.
      await emailWorker?.stop()
      await database.destroy()
    },
  }
}

/** The user an authentication names, loaded from the store (also for a stateless `TokenUser`). */
async function loadCurrentUser(auth: Authentication | null, users: UserStore): Promise<User> {
  const user = auth?.user
  if (user && !('isTokenUser' in user)) return user
  const loaded = user ? await users.findById(user.id) : null
  if (!loaded) throw new AuthError('user_not_found', 'User not found')
  return loaded
}

/** The query string as a flat object (the first value of a repeated key wins). */
function queryOf(url: string): Record<string, string> {
  const q = url.indexOf('?')
  const out: Record<string, string> = {}
  if (q < 0) return out
  for (const [key, value] of new URLSearchParams(url.slice(q + 1)))
    if (!(key in out)) out[key] = value
  return out
}
