import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { AuthSettings } from '@cookiejwt/core'
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify'
import { fromFastifyError } from './errors.js'
import { cookiejwt, sendServiceResponse, toServiceRequest } from './plugin.js'
import {
  APP_CSP,
  createService,
  type CookiejwtService,
  type ServiceOptions,
} from './service/service.js'
import { JWKS_PATH } from './service/routes/jwks.js'

/** What `buildApp` needs besides settings: the service's options, or a service, plus the Fastify-specific ones. */
export interface AppDeps extends Omit<ServiceOptions, 'logger' | 'database'> {
  /** An open database (see `openDatabase`); the app closes it on `app.close()`. Not needed with `service`. */
  database?: ServiceOptions['database']
  /** A service built already (then the other service options are ignored, and the caller closes it). */
  service?: CookiejwtService
  /** Folder of a built single-page app served at `/` (index.html for unknown non-API paths). */
  staticRoot?: string | null
  /** Fastify logger option. @default false */
  logger?: FastifyServerOptions['logger']
  /** A pino logger to use instead (Fastify's `loggerInstance`). */
  loggerInstance?: FastifyServerOptions['loggerInstance']
}

export { APP_CSP }

/**
 * Builds the cookiejwt Fastify app: the Fastify adapter over the framework-neutral service (every contract
 * endpoint under `/api/` and the JWKS), and, when `staticRoot` is given, the single-page app at `/`.
 * It never listens; call `app.listen()`.
 */
export async function buildApp(settings: AuthSettings, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.loggerInstance
      ? { loggerInstance: deps.loggerInstance }
      : { logger: deps.logger ?? false }),
    // No per-request log lines: they cost time on the hot path and would record URLs of every request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimit,
    return503OnClosing: false, // app.close() runs after the drain (cli/graceful.ts): nothing left to answer 503
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  })
  const {
    service: given,
    staticRoot: root,
    logger: _logger,
    loggerInstance: _instance,
    ...serviceOptions
  } = deps
  if (!given && !serviceOptions.database)
    throw new TypeError('buildApp needs a database (or a service)')
  const service =
    given ??
    (await createService(settings, {
      ...serviceOptions,
      database: serviceOptions.database!,
      logger: app.log,
    }))

  // The service parses and validates bodies itself (the same way on every adapter): Fastify hands it the bytes.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff')
    if (!request.url.startsWith('/api/'))
      reply.headers(service.appHeaders(toServiceRequest(request)))
    done()
  })

  await app.register(cookiejwt, { service })

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const serviceRequest = toServiceRequest(request)
    const response = (await service.handle(serviceRequest)) ?? service.notFound(serviceRequest)
    return sendServiceResponse(reply, response)
  }
  app.all('/api/*', forward)
  app.all(JWKS_PATH, forward)

  app.setErrorHandler(async (error, request, reply) => {
    // Fastify's own errors (body limit, bad Content-Length) answered as the service answers every error.
    const response = service.errorResponse(fromFastifyError(error), toServiceRequest(request))
    return sendServiceResponse(reply, response)
  })

  const staticRoot = root ?? null
  const hasApp = staticRoot !== null && existsSync(join(staticRoot, 'index.html'))
  if (hasApp) {
    // Loaded only when there is an app to serve: it is a large share of start-up time otherwise.
    const { default: fastifyStatic } = await import('@fastify/static')
    await app.register(fastifyStatic, { root: staticRoot, wildcard: false, index: ['index.html'] })
  }
  app.setNotFoundHandler(async (request, reply) => {
    if (
      hasApp &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      !request.url.startsWith('/api/')
    ) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html')
    }
    return sendServiceResponse(reply, service.notFound(toServiceRequest(request)))
  })

  // A service passed in belongs to the caller, who closes it; one built here is closed with the app.
  if (!given) {
    app.addHook('onClose', async () => {
      await service.close()
    })
  }
  return app
}
