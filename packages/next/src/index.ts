import { ServiceUnavailableError, type TokenUser, type User } from '@cookiejwt/core'
import {
  createServiceFromEnv,
  readWebBody,
  renderServiceError,
  type AuthenticateResult,
  type CookiejwtService,
  type EnvService,
  type EnvServiceOptions,
  type ServiceRequest,
  type ServiceResponse,
} from '@cookiejwt/server'
import { headers as nextHeaders } from 'next/headers.js'

// One service per process, on globalThis: Next.js may load this module once per route bundle.
const STATE = Symbol.for('@cookiejwt/next.service')
type State = { service?: Promise<EnvService>; failed?: { at: number; error: unknown } }
/** A service that could not start (database unreachable, bad configuration) is tried again after this long. */
const RETRY_MS = 5000

/**
 * The process's cookiejwt service and configuration, built on first use from the environment exactly as
 * `cookiejwt serve` builds them (`DATABASE_URL`, `REDIS_URL`, `COOKIEJWT_*`). When it cannot start, the error is
 * logged, requests are answered 503, and it is tried again at most every 5 s. Call it from `instrumentation.ts` to
 * start it (and see configuration errors) before the first request.
 */
export function getEnvService(options?: EnvServiceOptions): Promise<EnvService> {
  const state = ((globalThis as { [STATE]?: State })[STATE] ??= {})
  if (state.failed && Date.now() - state.failed.at < RETRY_MS)
    return Promise.reject(state.failed.error)
  state.service ??= createServiceFromEnv(process.env, options).catch((error: unknown) => {
    delete state.service
    state.failed = { at: Date.now(), error }
    console.error(
      `cookiejwt: the service could not start: ${(error as Error)?.message ?? String(error)}`,
    )
    throw error
  })
  return state.service
}

/** The process's cookiejwt service (see `getEnvService`). */
export async function getService(): Promise<CookiejwtService> {
  return (await getEnvService()).service
}

/**
 * Describes a WHATWG request for the service. Route handlers see no socket address, and `next start` only fills
 * `X-Forwarded-For` when the client sent none, so that header is the client's word: without `trustProxy` the
 * address stays unknown (every client shares one per-address throttling bucket; spoofing gains nothing). With
 * `trustProxy` the service reads `X-Forwarded-For`/`-Proto`/`-Host` as a proxy in front set them. `next start`
 * itself never terminates TLS.
 */
export function toServiceRequest(request: Request): ServiceRequest {
  const url = new URL(request.url)
  return {
    method: request.method,
    url: url.pathname + url.search,
    headers: Object.fromEntries(request.headers),
    remoteAddress: undefined,
    encrypted: false,
    readBody: (limit) => readWebBody(request, limit),
  }
}

/** A service response as a WHATWG `Response`, one `Set-Cookie` header per cookie. */
export function toResponse(response: ServiceResponse): Response {
  const headers = new Headers(response.headers)
  for (const cookie of response.cookies) headers.append('set-cookie', cookie)
  return new Response(response.body, { status: response.status, headers })
}

/** Answers a request for any contract path; other `/api/` paths get DRF's 404. */
export async function handle(request: Request): Promise<Response> {
  const described = toServiceRequest(request)
  let service: CookiejwtService
  try {
    service = await getService()
  } catch {
    const { status, headers, body } = renderServiceError(new ServiceUnavailableError())
    const json = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    }
    return toResponse({
      status,
      headers: { ...headers, ...json },
      cookies: [],
      body: JSON.stringify(body),
    })
  }
  try {
    return toResponse((await service.handle(described)) ?? service.notFound(described))
  } catch (error) {
    return toResponse(service.errorResponse(error, described))
  }
}

/** Route handlers for `app/api/[...cookiejwt]/route.ts`: `export { GET, POST, ... } from '@cookiejwt/next'`. */
export const GET = handle
export const HEAD = handle
export const POST = handle
export const PUT = handle
export const PATCH = handle
export const DELETE = handle
export const OPTIONS = handle

/**
 * Authenticates a route handler of the application's own as every endpoint does (CSRF and `Origin` for
 * cookie-authenticated unsafe methods); `ok: false` carries the DRF-shaped 401/403 to return (`toResponse`).
 */
export async function authenticate(
  request: Request,
  options?: { required?: boolean },
): Promise<AuthenticateResult> {
  return (await getService()).authenticate(toServiceRequest(request), options)
}

/**
 * The signed-in user of the current request, or null: Bearer header first, else the access cookie, checked as
 * every endpoint checks it (signature, expiry, revocation, active user). In a server component call it bare; in a
 * route handler for POST/PUT/PATCH/DELETE pass the request, so CSRF and `Origin` are checked as well (a failed
 * check is null). With `statelessUser` the user is the token's claims.
 */
export async function getUser(request?: Request): Promise<User | TokenUser | null> {
  // headers() first: while `next build` prerenders, it marks the page dynamic before any service (database) opens.
  const described: ServiceRequest = request
    ? toServiceRequest(request)
    : {
        method: 'GET',
        url: '/',
        headers: Object.fromEntries(await nextHeaders()),
        encrypted: false,
      }
  const result = await (await getService()).authenticate(described, { required: false })
  return result.ok ? (result.auth?.user ?? null) : null
}
