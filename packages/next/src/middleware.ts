// Edge runtime: jose only (Web Crypto); nothing here may import @cookiejwt/server or node:* modules.
import { jwtVerify } from 'jose/jwt/verify'
import { NextResponse, type NextRequest } from 'next/server.js'

/** Options of `cookiejwtMiddleware`; every one has a default read from the environment at the first request. */
export interface MiddlewareOptions {
  /** Where signed-out visitors are sent; the requested path goes in `?next=`. @default '/login' */
  loginPath?: string
  /** HS256 keys that verify access tokens. @default [COOKIEJWT_SIGNING_KEY || SECRET_KEY] */
  keys?: readonly string[]
  /** @default COOKIEJWT_SETTINGS' authCookie.name, else 'access_token' */
  cookieName?: string
}

const encoder = new TextEncoder()

/**
 * A `middleware.ts` gate that needs no database: a request passes when its access cookie has a valid HS256
 * signature, an unexpired `exp` and `token_type: "access"`; otherwise it is redirected to the login path. It does not
 * see revocations or deactivations (an access token lives minutes): pages and routes still call `getUser()`.
 * @example export default cookiejwtMiddleware({ loginPath: '/login' }); export const config = { matcher: ['/account/:path*'] }
 */
export function cookiejwtMiddleware(
  options: MiddlewareOptions = {},
): (request: NextRequest) => Promise<NextResponse> {
  let resolved: { keys: Uint8Array[]; cookieName: string } | undefined
  const resolve = () => {
    const settings = readSettings()
    const keys =
      options.keys ??
      [process.env.COOKIEJWT_SIGNING_KEY || process.env.SECRET_KEY || ''].filter(Boolean)
    // Fail closed: without a key nothing verifies and every visitor goes to the login page.
    return {
      keys: keys.map((k) => encoder.encode(k)),
      cookieName: options.cookieName ?? settings.authCookie?.name ?? 'access_token',
    }
  }
  return async (request) => {
    resolved ??= resolve()
    const token = request.cookies.get(resolved.cookieName)?.value
    if (token !== undefined && (await isValidAccessToken(token, resolved.keys)))
      return NextResponse.next()
    const login = new URL(options.loginPath ?? '/login', request.url)
    login.searchParams.set('next', request.nextUrl.pathname + request.nextUrl.search)
    return NextResponse.redirect(login)
  }
}

/** Signature (HS256 only: an `alg` switch is refused), `exp` (required) and the access token type. */
export async function isValidAccessToken(
  token: string,
  keys: readonly Uint8Array[],
): Promise<boolean> {
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
      })
      return payload.token_type === 'access' && Number.isInteger(payload.exp)
    } catch {
      // Next key (a rotated one), or refused.
    }
  }
  return false
}

function readSettings(): { authCookie?: { name?: string } } {
  try {
    const parsed: unknown = JSON.parse(process.env.COOKIEJWT_SETTINGS || '{}')
    return parsed !== null && typeof parsed === 'object' ? parsed : {}
  } catch {
    return {}
  }
}
