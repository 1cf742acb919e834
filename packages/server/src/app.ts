import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyCors from '@fastify/cors'
import {
  AuthError,
  compileOrigins,
  createPasswordHashers,
  type AuthSettings,
  type PasswordHashers,
  type TokenStore,
  type UserStore,
  type VerifiedToken,
} from '@cookiejwt/core'
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { registerCookieHygiene } from './cookie-hygiene.js'
import { renderError } from './errors.js'
import { limitHashing } from './hash-limit.js'
import type { FlowDeps } from './flows.js'
import { cookiejwt } from './plugin.js'
import { authRoutes } from './routes/auth.js'
import { diagnosticsRoutes } from './routes/diagnostics.js'
import { healthRoutes, type HealthCheck } from './routes/health.js'
import { jwksRoutes } from './routes/jwks.js'
import { tokenRoutes } from './routes/token.js'
import { sessionRoutes } from './routes/sessions.js'
import type { RevocationCache } from './redis/revocation.js'
import { SessionManager } from './sessions/manager.js'
import { LoginThrottle } from './throttle/lockout.js'
import { DatabaseThrottleStore } from './throttle/store.js'
import type { ThrottleStore } from './redis/throttle.js'
import type { DatabaseHandle } from './storage/db.js'
import { KyselyTokenStore } from './storage/tokens.js'
import { KyselyUserStore } from './storage/users.js'

/** What `buildApp` needs besides settings. */
export interface AppDeps {
  /** An open database (see `openDatabase`); the app closes it on `app.close()`. */
  database: DatabaseHandle
  /** Password hashes allowed to run at once (the rest queue). @default available cores − 1, at least 1 */
  hashConcurrency?: number
  /** Password hashers; default: built from `settings.passwordHasher` and `settings.passwordHasherOptions`. */
  hashers?: PasswordHashers
  /** Stores; default: Kysely stores on `database`. */
  users?: UserStore
  tokens?: TokenStore
  /** Folder of a built single-page app served at `/` (index.html for unknown non-API paths). */
  staticRoot?: string | null
  /** Fastify logger option. @default false */
  logger?: FastifyServerOptions['logger']
  /** Trust `X-Forwarded-*` from a reverse proxy (Fastify `trustProxy`). @default settings.trustProxy */
  trustProxy?: FastifyServerOptions['trustProxy']
  /** A clock, for tests. */
  now?: () => Date
  /** Shared revocations across processes (Redis, see `src/redis/`); default: each process asks the database. */
  revocationCache?: RevocationCache
  /** Throttling counters (e.g. `RedisThrottleStore`); default: the `cookiejwt_throttle` table. */
  throttleStore?: ThrottleStore
  /** Extra `/api/health/` checks. */
  healthChecks?: Record<string, HealthCheck>
}

/** Content-Security-Policy of the single-page app: same-origin scripts and styles only, never framed. */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
const API_CSP = "default-src 'none'; frame-ancestors 'none'"

/**
 * Builds the cookiejwt Fastify app: the contract's endpoints, CORS, security headers, DRF-shaped errors and, when
 * `staticRoot` is given, the single-page app at `/`. It never listens; call `app.listen()`.
 */
export async function buildApp(settings: AuthSettings, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    // No per-request log lines: they cost time on the hot path and would record URLs of every request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimit,
    trustProxy: deps.trustProxy ?? settings.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  })
  // JSON only: text/plain is a CORS "simple" content type a foreign page can send without a preflight.
  app.removeContentTypeParser('text/plain')
  const users = deps.users ?? new KyselyUserStore(deps.database)
  const tokens = deps.tokens ?? new KyselyTokenStore(deps.database)
  const hashers =
    limitHashing(
      deps.hashers ??
        createPasswordHashers({ ...(settings.passwordHasherOptions as object), default: settings.passwordHasher }),
      deps.hashConcurrency,
    )
  const sessions = new SessionManager({
    settings,
    database: deps.database,
    tokens,
    revocationCache: deps.revocationCache,
    // Security events name the jti, family and user — never a token.
    onEvent: (event) => app.log.warn(event, event.event === 'refresh_token_reuse' ? 'refresh token reuse detected: session revoked' : 'session revoked'),
  })
  const throttle = new LoginThrottle(settings.throttle, deps.throttleStore ?? new DatabaseThrottleStore(deps.database))
  const flow: FlowDeps = { settings, users, tokens, hashers, sessions, throttle, ...(deps.now ? { now: deps.now } : {}) }

  // A callback hook, not an async one: it runs on every request and needs no promise.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff')
    if (request.url.startsWith('/api/')) {
      // Tokens and user data must never sit in a shared or browser cache.
      reply.header('cache-control', 'no-store')
      reply.header('content-security-policy', API_CSP)
      reply.header('x-frame-options', 'DENY')
    } else {
      reply.header('content-security-policy', APP_CSP)
      reply.header('x-frame-options', 'DENY')
      reply.header('referrer-policy', 'same-origin')
    }
    done()
  })

  const allowed = compileOrigins(settings.cors.allowedOrigins)
  await app.register(fastifyCors, {
    // Exact matches and anchored one-label patterns; `null` and look-alike origins get no CORS headers at all.
    origin: (origin, callback) => callback(null, allowed.matches(origin)),
    credentials: settings.cors.allowCredentials,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Content-Type', settings.csrf.headerName, 'Authorization'],
    maxAge: settings.cors.maxAge,
    strictPreflight: true,
  })
  await app.register(cookiejwt, {
    settings,
    users,
    ...(settings.revocationChecks ? { isRevoked: (token: VerifiedToken) => sessions.isRevoked(token) } : {}),
  })

  registerCookieHygiene(app, settings, Boolean(deps.trustProxy ?? settings.trustProxy))

  app.setErrorHandler(async (error, request, reply) => {
    const { status, body, headers } = renderError(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    if (headers) reply.headers(headers)
    return reply.code(status).header('cache-control', 'no-store').send(body)
  })

  await authRoutes(app, flow)
  await tokenRoutes(app, flow)
  await sessionRoutes(app, flow)
  await healthRoutes(app, deps.database, deps.healthChecks)
  await jwksRoutes(app, settings)
  await diagnosticsRoutes(app, settings)

  const staticRoot = deps.staticRoot ?? null
  const hasApp = staticRoot !== null && existsSync(join(staticRoot, 'index.html'))
  if (hasApp) {
    // Loaded only when there is an app to serve: it is a large share of start-up time otherwise.
    const { default: fastifyStatic } = await import('@fastify/static')
    await app.register(fastifyStatic, { root: staticRoot, wildcard: false, index: ['index.html'] })
  }
  app.setNotFoundHandler(async (request, reply) => {
    if (hasApp && (request.method === 'GET' || request.method === 'HEAD') && !request.url.startsWith('/api/')) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html')
    }
    throw new AuthError('not_found', 'Not found.')
  })

  app.addHook('onClose', async () => {
    await deps.database.destroy()
  })
  return app
}
