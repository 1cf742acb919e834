import {
  compileOrigins,
  isHmacAlgorithm,
  type AuthSettings,
  type CookieSettings,
} from '@cookiejwt/core'
import { AXIOS_SNIPPET, type Finding } from './findings.js'
import { domainMatches, isSameSite } from './sites.js'

/** What the configuration check knows besides the settings. */
export interface ConfigContext {
  /** `NODE_ENV === 'production'`. */
  readonly production: boolean
  /** The public URL of the API, when known (`--url`). */
  readonly apiUrl?: URL
  /** The origin of the front end, when known (`--app-origin`). */
  readonly appOrigin?: URL
  /** What the front-end project uses: `null` when unknown. */
  readonly client?: { readonly usesAxios: boolean; readonly hasWithXSRFToken: boolean } | null
}

/** Checks settings for what will break in browsers; never reads the environment itself. */
export function checkSettings(settings: AuthSettings, context: ConfigContext): Finding[] {
  const findings: Finding[] = []
  const add = (level: Finding['level'], code: string, message: string) =>
    findings.push({ level, code, message })
  const cookies: [string, CookieSettings][] = [
    ['authCookie', settings.authCookie],
    ['refreshCookie', settings.refreshCookie],
  ]

  // Keys.
  if (settings.signingKeys.length === 0 && isHmacAlgorithm(settings.algorithm)) {
    if (Buffer.byteLength(settings.signingKey) < 32) {
      add(
        'error',
        'short-signing-key',
        'The signing key is shorter than 32 bytes: anyone who guesses it can sign tokens.',
      )
    } else if (new Set(settings.signingKey).size < 10) {
      add(
        'warning',
        'weak-signing-key',
        'The signing key uses very few distinct characters; generate one with `npx cookiejwt keys generate` or `openssl rand -base64 48`.',
      )
    }
  }

  // Secure cookies.
  const https = context.apiUrl?.protocol === 'https:'
  for (const [key, c] of cookies) {
    if (!c.secure && (context.production || https)) {
      add(
        https ? 'error' : 'warning',
        'insecure-cookie',
        `${key} (${c.name}) is not Secure${https ? ' although the API is served over HTTPS' : ' in production'}: ` +
          'the token can leak over plain HTTP. Set secure: true (or trustProxy behind a TLS proxy).',
      )
    }
    if (c.sameSite === 'None' && !c.secure) {
      add(
        'error',
        'samesite-none-insecure',
        `${key} is SameSite=None without Secure: browsers reject the cookie.`,
      )
    }
    if (c.domain !== null && context.apiUrl && !domainMatches(context.apiUrl.hostname, c.domain)) {
      add(
        'error',
        'cookie-domain-mismatch',
        `${key}.domain is "${c.domain}" but the API host is "${context.apiUrl.hostname}": browsers reject a cookie ` +
          'whose Domain does not contain the host that sets it. Leave domain null (host-only) unless you need sharing.',
      )
    }
  }
  if (
    settings.csrf.cookieDomain !== null &&
    context.apiUrl &&
    !domainMatches(context.apiUrl.hostname, settings.csrf.cookieDomain)
  ) {
    add(
      'error',
      'cookie-domain-mismatch',
      `csrf.cookieDomain "${settings.csrf.cookieDomain}" does not contain the API host "${context.apiUrl.hostname}".`,
    )
  }

  // Front end and API: same site or not.
  if (context.apiUrl && context.appOrigin) {
    const app = context.appOrigin
    const sameOrigin = app.origin === context.apiUrl.origin
    if (!sameOrigin) {
      const allowed = compileOrigins(settings.cors.allowedOrigins).matches(app.origin)
      if (!allowed) {
        add(
          'error',
          'cors-origin-not-allowed',
          `The front end ${app.origin} is not in cors.allowedOrigins: the browser will block every API response. Add it (COOKIEJWT_CORS_ALLOWED_ORIGINS).`,
        )
      }
      const trusted = compileOrigins(settings.csrf.trustedOrigins).matches(app.origin)
      if (!trusted) {
        add(
          'error',
          'csrf-origin-not-trusted',
          `The front end ${app.origin} is not a trusted CSRF origin: login, refresh and logout will answer 403. Add it to csrf.trustedOrigins (COOKIEJWT_CSRF_TRUSTED_ORIGINS).`,
        )
      }
    }
    if (!isSameSite(app, context.apiUrl)) {
      const lax = cookies.some(([, c]) => c.sameSite !== 'None')
      add(
        lax ? 'error' : 'warning',
        'cross-site',
        `The front end (${app.origin}) and the API (${context.apiUrl.origin}) are different sites. ` +
          (lax
            ? "With SameSite=Lax/Strict the browser never sends the auth cookies on the front end's API calls, so users appear logged out. "
            : 'SameSite=None cookies are third-party cookies there: Safari (Intelligent Tracking Prevention) and Firefox block them, and Chrome is phasing them out. ') +
          "Serve both from one site (app.example.com + api.example.com, or proxy /api through the front end's host).",
      )
    } else if (!sameOrigin) {
      add(
        'info',
        'same-site',
        `Front end and API are different origins of the same site: SameSite=Lax cookies flow; CORS must allow ${app.origin}.`,
      )
    }
  }

  // Axios clients.
  if (context.client?.usesAxios && !context.client.hasWithXSRFToken) {
    add(
      'warning',
      'axios-withxsrftoken',
      'The front end uses axios but never sets withXSRFToken: axios >= 1.6 then omits the CSRF header on ' +
        `cross-origin calls and every POST/PATCH/DELETE answers 403. Configure it like this:\n${AXIOS_SNIPPET}`,
    )
  }

  // Clock tolerance.
  if (settings.leeway > 60) {
    add(
      'warning',
      'large-leeway',
      `leeway is ${settings.leeway} s: expired tokens stay valid that much longer. A few seconds is enough for clock skew.`,
    )
  }
  // Accounts email.
  const accountMail = settings.registration || settings.emailVerification === 'mandatory'
  if (context.production && settings.email.backend !== 'smtp') {
    add(
      accountMail ? 'error' : 'warning',
      'email-not-sent',
      `email.backend is "${settings.email.backend}" in production: verification and password-reset emails are ` +
        `${settings.email.backend === 'file' ? `written to ${settings.email.filePath}` : 'printed'}, never delivered. ` +
        'Set COOKIEJWT_EMAIL_URL=smtp://user:password@host:port.',
    )
  }
  if (context.production && settings.frontendUrl?.startsWith('http://')) {
    add(
      'warning',
      'insecure-frontend-url',
      `frontendUrl is ${settings.frontendUrl}: reset and verification links would travel over plain HTTP.`,
    )
  }
  if (context.production && settings.email.from.endsWith('@localhost')) {
    add(
      'warning',
      'email-from-localhost',
      `email.from is ${settings.email.from}: mail servers reject or junk it. Set COOKIEJWT_EMAIL_FROM.`,
    )
  }
  // Second factor.
  if (context.production && settings.mfa.keys.length === 0) {
    add(
      'warning',
      'mfa-keys-derived',
      'mfa.keys is not set: TOTP secrets and backup codes are protected by a key derived from the signing key, so ' +
        'removing that signing key (a rotation) makes enrolled secrets unreadable. Set COOKIEJWT_MFA_KEYS to a key of ' +
        'its own (openssl rand -base64 48).',
    )
  }
  return findings
}
