import { compileOrigins } from '@cookiejwt/core'
import { checkSettings } from '../../doctor/check-config.js'
import { toReport, type Finding } from '../../doctor/findings.js'
import { duplicateCookieNames } from '../request.js'
import type { RouteDef, ServiceDeps } from '../types.js'
import { objectResponse } from './schemas.js'

/** Path of the development-only diagnostics endpoint. */
export const DIAGNOSTICS_PATH = '/api/auth/diagnostics/'

/**
 * `GET /api/auth/diagnostics/`: the doctor's report for the calling browser — which cookies arrived (names only,
 * never values), its `Origin`, whether CORS and CSRF trust it. Defined only when `settings.diagnostics` is on AND
 * `NODE_ENV` is not `production`; it reveals configuration, so it must never run in production.
 */
export function diagnosticsRoutes(deps: ServiceDeps): RouteDef[] {
  const { settings } = deps
  // Read here rather than passed in: a forgotten option must not be able to expose this in production.
  if (!settings.diagnostics || process.env.NODE_ENV === 'production') return []
  const cors = compileOrigins(settings.cors.allowedOrigins)
  const trusted = compileOrigins(settings.csrf.trustedOrigins)
  return [
    {
      method: 'GET',
      path: DIAGNOSTICS_PATH,
      schema: {
        response: { 200: objectResponse },
        errors: [],
        summary: 'Development only: why cookies or CORS fail for this browser',
        tags: ['platform'],
      },
      handler({ header, cookie, headers, ownOrigin, protocol }) {
        const origin = header('origin') ?? null
        const names = [
          settings.authCookie.name,
          settings.refreshCookie.name,
          settings.csrf.cookieName,
        ]
        const received = Object.fromEntries(names.map((n) => [n, cookie(n) !== undefined]))
        const duplicates = duplicateCookieNames(headers)
        let appOrigin: URL | undefined
        try {
          appOrigin = origin && origin !== 'null' ? new URL(origin) : undefined
        } catch {
          appOrigin = undefined
        }
        const findings: Finding[] = checkSettings(settings, {
          production: false,
          apiUrl: new URL(ownOrigin),
          ...(appOrigin ? { appOrigin } : {}),
        })
        if (duplicates.length > 0) {
          findings.push({
            level: 'warning',
            code: 'duplicate-cookies',
            message: `The browser sent ${duplicates.join(', ')} more than once: an older Path or Domain left a cookie behind. List it in legacyCookies so login, refresh and logout clear it.`,
          })
        }
        if (!received[settings.csrf.cookieName]) {
          findings.push({
            level: 'info',
            code: 'no-csrf-cookie',
            message: `No ${settings.csrf.cookieName} cookie arrived: call GET /api/auth/csrf/ first.`,
          })
        }
        if (header('sec-fetch-site') === 'cross-site') {
          findings.push({
            level: 'warning',
            code: 'cross-site',
            message:
              'The browser calls this API cross-site: Lax/Strict cookies are not sent, and SameSite=None ones are blocked by Safari and Firefox.',
          })
        }
        return {
          body: {
            ...toReport(findings),
            request: {
              origin,
              ownOrigin,
              protocol,
              corsAllowed: cors.matches(origin ?? undefined),
              originTrusted:
                origin === null
                  ? null
                  : origin.toLowerCase() === ownOrigin.toLowerCase() || trusted.matches(origin),
              secFetchSite: header('sec-fetch-site') ?? null,
              cookiesReceived: received,
              duplicateCookies: duplicates,
            },
          },
        }
      },
    },
  ]
}
