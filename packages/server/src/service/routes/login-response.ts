import {
  generateCsrfSecret,
  serializeAccessCookie,
  serializeCsrfCookie,
  serializeRefreshCookie,
  toPublicUser,
  type AuthSettings,
  type User,
} from '@cookiejwt/core'
import type { IssuedPair } from '../../flows.js'

/**
 * The cookies of a finished login (password only, or password and code): access, refresh, and a fresh CSRF secret
 * as Django's rotate_token(), so a token planted before login is useless.
 */
export function loginCookies(settings: AuthSettings, pair: IssuedPair): string[] {
  const cookies = [serializeAccessCookie(settings, pair.access.token)]
  if (pair.refresh) cookies.push(serializeRefreshCookie(settings, pair.refresh.token))
  cookies.push(serializeCsrfCookie(settings, generateCsrfSecret()))
  return cookies
}

/** `access_expires` (and `refresh_expires`) of a pair, for the client's silent refresh. */
export function loginExpiries(pair: IssuedPair): {
  access_expires: string
  refresh_expires?: string
} {
  return {
    access_expires: pair.access.expiresAt.toISOString(),
    ...(pair.refresh ? { refresh_expires: pair.refresh.expiresAt.toISOString() } : {}),
  }
}

/**
 * The body of a finished login of the cookie flow: the user, the expiries, `extra` (the enrolment's backup codes),
 * and the tokens themselves only with `returnTokensInBody` (the cookies carry them).
 */
export function loginBody(
  settings: AuthSettings,
  user: User,
  pair: IssuedPair,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    user: toPublicUser(user),
    ...loginExpiries(pair),
    ...extra,
    ...(settings.returnTokensInBody
      ? { access: pair.access.token, refresh: pair.refresh?.token }
      : {}),
  }
}
