import type { TokenUser, User } from '@cookiejwt/core'
import {
  createServiceFromEnv,
  readWebBody,
  type AuthenticateResult,
  type CookiejwtService,
  type EnvService,
  type EnvServiceOptions,
  type ServiceRequest,
  type ServiceResponse,
} from '@cookiejwt/server'
import { headers as nextHeaders } from 'next/headers.js'

// One service per process, on globalThis: Next.js may load this module once per route bundle.
const SERVICE = Symbol.for('@cookiejwt/next.service')
type Holder = { [SERVICE]?: Promise<EnvService> }

/**
 * The process's cookiejwt service and configuration, built on first use from the environment exactly as
 * `cookiejwt serve` builds them (`DATABASE_URL`, `REDIS_URL`, `COOKIEJWT_*`). Call it from `instrumentation.ts` to
 * fail at start-up, not at the first request, when the configuration is bad. A failed start is not cached.
 */
export function getEnvService(options?: EnvServiceOptions): Promise<EnvService> {
  const holder = globalThis as Holder
  holder[SERVICE] ??= createServiceFromEnv(process.env, options).catch((error: unknown) => {
    delete holder[SERVICE]
    throw error
  })
  return holder[SERVICE]
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
  const service = await getService()
  const described = toServiceRequest(request)
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
export async function authenticate(request: Request, options?: { required?: boolean }): Promise<AuthenticateResult> {
  return (await getService()).authenticate(toServiceRequest(request), options)
}

/**
 * The signed-in user of the current request, or null: Bearer header first, else the access cookie, checked as
 * every endpoint checks it (signature, expiry, revocation, active user). In a server component call it bare; in a
 * route handler for POST/PUT/PATCH/DELETE pass the request, so CSRF and `Origin` are checked as well (a failed
 * check is null). With `statelessUser` the user is the token's claims.
 */
export async function getUser(request?: Request): Promise<User | TokenUser | null> {
  const service = await getService()
  const described: ServiceRequest = request
    ? toServiceRequest(request)
    : { method: 'GET', url: '/', headers: Object.fromEntries(await nextHeaders()), encrypted: false }
  const result = await service.authenticate(described, { required: false })
  return result.ok ? (result.auth?.user ?? null) : null
}
