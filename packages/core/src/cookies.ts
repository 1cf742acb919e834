import { serialize, type SerializeOptions } from 'cookie'
import { ImproperlyConfigured } from './errors.js'
import type { AuthSettings, CookieSettings, SameSite } from './settings.js'

/** Browsers may drop a cookie (name + value + attributes) larger than this (RFC 6265 §6.1). */
export const MAX_COOKIE_BYTES = 4096

function options(cookie: CookieSettings, maxAge: number): SerializeOptions {
  return {
    maxAge,
    path: cookie.path,
    ...(cookie.domain !== null ? { domain: cookie.domain } : {}),
    httpOnly: cookie.httpOnly,
    secure: cookie.secure,
    ...sameSite(cookie.sameSite),
    ...(cookie.partitioned ? { partitioned: true } : {}),
  }
}

function sameSite(value: SameSite): Pick<SerializeOptions, 'sameSite'> {
  return value === false ? {} : { sameSite: value.toLowerCase() as 'lax' | 'strict' | 'none' }
}

function checked(header: string, name: string): string {
  if (Buffer.byteLength(header) > MAX_COOKIE_BYTES) {
    throw new ImproperlyConfigured(
      `the ${name} cookie would be ${Buffer.byteLength(header)} bytes; browsers drop cookies over ${MAX_COOKIE_BYTES}`,
    )
  }
  return header
}

/** `Set-Cookie` for the access token, with `Max-Age` equal to its lifetime. */
export function serializeAccessCookie(settings: AuthSettings, token: string): string {
  const c = settings.authCookie
  return checked(serialize(c.name, token, options(c, settings.accessTokenLifetime)), c.name)
}

/** `Set-Cookie` for the refresh token, scoped to the refresh cookie's path. */
export function serializeRefreshCookie(settings: AuthSettings, token: string): string {
  const c = settings.refreshCookie
  return checked(serialize(c.name, token, options(c, settings.refreshTokenLifetime)), c.name)
}

/** `Set-Cookie` headers clearing both JWT cookies: empty, `Max-Age=0`, the same `Path`/`Domain` they were set with. */
export function serializeClearedAuthCookies(settings: AuthSettings): string[] {
  return [settings.authCookie, settings.refreshCookie].map((c) =>
    serialize(c.name, '', options(c, 0)),
  )
}

/** `Set-Cookie` clearing only the access cookie (a stale one found on an auth endpoint). */
export function serializeClearedAccessCookie(settings: AuthSettings): string {
  const c = settings.authCookie
  return serialize(c.name, '', options(c, 0))
}

/** Name of the cookie carrying the `mfa` token between a login's password step and its code step. */
export const MFA_COOKIE_NAME = 'mfa_token'
/** The only path the `mfa` cookie is sent to: the second login step. */
export const MFA_COOKIE_PATH = '/api/auth/login/mfa/'

/**
 * The `mfa` cookie: HttpOnly, sent only to `POST /api/auth/login/mfa/`, with the access cookie's `Secure`, `SameSite`,
 * `Domain` and `Partitioned`. Under `cookiePrefix` it carries the prefix too (`__Host-` forces `Path=/`, RFC 6265bis
 * §4.1.3.2; the token's own type still keeps it out of every other endpoint).
 */
export function mfaCookieSettings(settings: AuthSettings): CookieSettings {
  const a = settings.authCookie
  const prefix = settings.cookiePrefix ?? ''
  return {
    ...a,
    name: `${prefix}${MFA_COOKIE_NAME}`,
    path: prefix === '__Host-' ? '/' : MFA_COOKIE_PATH,
    httpOnly: true,
  }
}

/** `Set-Cookie` for the `mfa` token, with `Max-Age` equal to `mfa.tokenLifetime`. */
export function serializeMfaCookie(settings: AuthSettings, token: string): string {
  const c = mfaCookieSettings(settings)
  return checked(serialize(c.name, token, options(c, settings.mfa.tokenLifetime)), c.name)
}

/** `Set-Cookie` clearing the `mfa` cookie. */
export function serializeClearedMfaCookie(settings: AuthSettings): string {
  const c = mfaCookieSettings(settings)
  return serialize(c.name, '', options(c, 0))
}

/** `Set-Cookie` for the CSRF cookie: readable by page JavaScript, as Django's `csrftoken`. */
export function serializeCsrfCookie(settings: AuthSettings, token: string): string {
  const s = settings.csrf
  return serialize(s.cookieName, token, {
    maxAge: s.cookieAge,
    path: s.cookiePath,
    ...(s.cookieDomain !== null ? { domain: s.cookieDomain } : {}),
    httpOnly: false,
    secure: s.cookieSecure,
    ...sameSite(s.cookieSameSite),
    ...(s.cookiePartitioned ? { partitioned: true } : {}),
  })
}

/**
 * `Set-Cookie` headers clearing the cookies an older configuration left behind (`legacyCookies`): each with its own
 * name, `Path` and `Domain`, because a browser only deletes the cookie whose name, path and domain all match.
 */
export function serializeClearedLegacyCookies(settings: AuthSettings): string[] {
  const crossSite = settings.authCookie.sameSite === 'None'
  return settings.legacyCookies.map((c) =>
    serialize(c.name, '', {
      maxAge: 0,
      path: c.path,
      ...(c.domain !== null ? { domain: c.domain } : {}),
      httpOnly: true,
      // A prefixed legacy cookie can only be overwritten by a cookie that keeps the prefix's rules; a cross-site
      // deployment (SameSite=None) needs None + Secure or the browser ignores the clearing header.
      secure: crossSite || c.name.startsWith('__Secure-') || c.name.startsWith('__Host-'),
      ...(crossSite ? { sameSite: 'none' as const } : {}),
    }),
  )
}
