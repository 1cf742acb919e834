import { ImproperlyConfigured } from './errors.js'
import { toSeconds, type Duration } from './durations.js'
import type { User } from './user.js'

/** `SameSite` attribute of a cookie; `false` leaves the attribute out. */
export type SameSite = 'Lax' | 'Strict' | 'None' | false

/** HMAC algorithms supported for signing. */
export type Algorithm = 'HS256' | 'HS384' | 'HS512'

/** Attributes of one cookie, after `AUTH_COOKIE_*` of the seed. */
export interface CookieSettings {
  /** Cookie name. */
  readonly name: string
  /** `Domain` attribute; `null` makes a host-only cookie. @default null */
  readonly domain: string | null
  /** `Path` attribute. */
  readonly path: string
  /** `Secure` attribute. The CLI turns it on when `NODE_ENV=production`. @default false */
  readonly secure: boolean
  /** `HttpOnly` attribute. @default true */
  readonly httpOnly: boolean
  /** `SameSite` attribute. @default 'Lax' */
  readonly sameSite: SameSite
}

/** Django-compatible CSRF settings (`CSRF_COOKIE_*`, `CSRF_HEADER_NAME`, `CSRF_TRUSTED_ORIGINS`). */
export interface CsrfSettings {
  /** @default 'csrftoken' */
  readonly cookieName: string
  /** Request header carrying the token. @default 'X-CSRFToken' */
  readonly headerName: string
  /** Cookie lifetime in seconds (Django's one year). @default 31449600 */
  readonly cookieAge: number
  /** @default '/' */
  readonly cookiePath: string
  /** @default null */
  readonly cookieDomain: string | null
  /** @default false */
  readonly cookieSecure: boolean
  /** @default 'Lax' */
  readonly cookieSameSite: SameSite
  /** Origins (scheme://host[:port]) trusted for unsafe requests besides the server's own. Defaults to the CORS origins. */
  readonly trustedOrigins: readonly string[]
}

/** CORS settings (django-cors-headers' `CORS_ALLOWED_ORIGINS`, `CORS_ALLOW_CREDENTIALS`). */
export interface CorsSettings {
  /** Exact origins allowed to call the API with credentials. @default ['http://localhost:3000', 'http://127.0.0.1:3000'] */
  readonly allowedOrigins: readonly string[]
  /** @default true */
  readonly allowCredentials: boolean
  /** Preflight cache lifetime in seconds. @default 86400 */
  readonly maxAge: number
}

/** Settings after validation: every key present, durations in seconds, frozen. */
export interface AuthSettings {
  /** Signing key (simplejwt `SIGNING_KEY`); an HMAC key must be at least 32 bytes. */
  readonly signingKey: string
  /** Verifying key; for HMAC it is the signing key. @default null */
  readonly verifyingKey: string | null
  /** @default 'HS256' */
  readonly algorithm: Algorithm
  /** `aud` claim written and required when set. @default null */
  readonly audience: string | null
  /** `iss` claim written and required when set. @default null */
  readonly issuer: string | null
  /** Clock skew tolerated on `exp`/`nbf`, in seconds. @default 0 */
  readonly leeway: number
  /** @default 300 ('5m') */
  readonly accessTokenLifetime: number
  /** @default 86400 ('1d') */
  readonly refreshTokenLifetime: number
  /** @default 300 ('5m') */
  readonly slidingTokenLifetime: number
  /** @default 86400 ('1d') */
  readonly slidingTokenRefreshLifetime: number
  /** Issue a new refresh token on refresh (simplejwt default: false). @default true */
  readonly rotateRefreshTokens: boolean
  /** Blacklist the old refresh token after rotation (simplejwt default: false). @default true */
  readonly blacklistAfterRotation: boolean
  /** Write `last_login` on login. @default false */
  readonly updateLastLogin: boolean
  /** Accepted `Authorization` schemes. @default ['Bearer'] */
  readonly authHeaderTypes: readonly string[]
  /** Header read for the token (simplejwt `AUTH_HEADER_NAME`, as an HTTP header name). @default 'authorization' */
  readonly authHeaderName: string
  /** User field stored in the token. @default 'id' */
  readonly userIdField: 'id' | 'username'
  /** @default 'user_id' */
  readonly userIdClaim: string
  /** @default 'token_type' */
  readonly tokenTypeClaim: string
  /** @default 'jti' */
  readonly jtiClaim: string
  /** Whether an authenticated user may proceed (simplejwt `USER_AUTHENTICATION_RULE`). @default user.isActive */
  readonly userAuthenticationRule: (user: User) => boolean
  /** Trust the token's claims without loading the user (simplejwt `JWTStatelessUserAuthentication`). @default false */
  readonly statelessUser: boolean
  /** The access-token cookie (seed: `AUTH_COOKIE*`). */
  readonly authCookie: CookieSettings
  /** The refresh-token cookie; path-scoped to the auth endpoints. */
  readonly refreshCookie: CookieSettings
  readonly csrf: CsrfSettings
  readonly cors: CorsSettings
  /** Also return the tokens in the login JSON body (the seed's behaviour; defeats HttpOnly). @default false */
  readonly returnTokensInBody: boolean
  /** Hasher writing new password hashes. @default 'argon2' */
  readonly passwordHasher: string
  /** Cost options for the password hashers (see the hashers module). @default {} */
  readonly passwordHasherOptions: Readonly<Record<string, unknown>>
  /** Minimum password length for new passwords (Django's MinimumLengthValidator). @default 8 */
  readonly passwordMinLength: number
  /** Largest accepted request body in bytes. @default 65536 */
  readonly bodyLimit: number
}

/** What `defineSettings` accepts: every key optional except `signingKey`; durations as seconds or '5m'. */
export type AuthSettingsInput = {
  [K in keyof AuthSettings]?: K extends
    | 'accessTokenLifetime'
    | 'refreshTokenLifetime'
    | 'slidingTokenLifetime'
    | 'slidingTokenRefreshLifetime'
    | 'leeway'
    ? Duration
    : AuthSettings[K] extends CookieSettings | CsrfSettings | CorsSettings
      ? Partial<AuthSettings[K]>
      : AuthSettings[K]
}

/** Minimum HMAC key length in bytes (RFC 7518 §3.2: a key of the same size as the hash output). */
export const MIN_HMAC_KEY_BYTES = 32

/** Default access-token lifetime in seconds. */
export const DEFAULT_ACCESS_TOKEN_LIFETIME = 300
/** Default refresh-token lifetime in seconds. */
export const DEFAULT_REFRESH_TOKEN_LIFETIME = 86400
/** Django's `CSRF_COOKIE_AGE`: one year in seconds. */
export const DEFAULT_CSRF_COOKIE_AGE = 31449600

const cookie = { domain: null, secure: false, httpOnly: true, sameSite: 'Lax' } as const

/** The defaults table; the README repeats it. */
export const DEFAULT_SETTINGS = {
  verifyingKey: null,
  algorithm: 'HS256',
  audience: null,
  issuer: null,
  leeway: 0,
  accessTokenLifetime: DEFAULT_ACCESS_TOKEN_LIFETIME,
  refreshTokenLifetime: DEFAULT_REFRESH_TOKEN_LIFETIME,
  slidingTokenLifetime: 300,
  slidingTokenRefreshLifetime: 86400,
  rotateRefreshTokens: true,
  blacklistAfterRotation: true,
  updateLastLogin: false,
  authHeaderTypes: ['Bearer'],
  authHeaderName: 'authorization',
  userIdField: 'id',
  userIdClaim: 'user_id',
  tokenTypeClaim: 'token_type',
  jtiClaim: 'jti',
  userAuthenticationRule: (user: User) => user.isActive,
  statelessUser: false,
  authCookie: { name: 'access_token', path: '/', ...cookie },
  refreshCookie: { name: 'refresh_token', path: '/api/auth/', ...cookie },
  csrf: {
    cookieName: 'csrftoken',
    headerName: 'X-CSRFToken',
    cookieAge: DEFAULT_CSRF_COOKIE_AGE,
    cookiePath: '/',
    cookieDomain: null,
    cookieSecure: false,
    cookieSameSite: 'Lax',
    trustedOrigins: [] as string[],
  },
  cors: {
    allowedOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000'],
    allowCredentials: true,
    maxAge: 86400,
  },
  returnTokensInBody: false,
  passwordHasher: 'argon2',
  passwordHasherOptions: {},
  passwordMinLength: 8,
  bodyLimit: 65536,
} as const satisfies Omit<AuthSettings, 'signingKey' | 'csrf'> & { csrf: unknown }

const ALGORITHMS: readonly Algorithm[] = ['HS256', 'HS384', 'HS512']
const SAME_SITES: readonly unknown[] = ['Lax', 'Strict', 'None', false]
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Keys of the seed / simplejwt that people paste; each names its replacement. */
const RENAMED_KEYS: Record<string, string> = {
  SIGNING_KEY: 'signingKey',
  ACCESS_TOKEN_LIFETIME: 'accessTokenLifetime',
  REFRESH_TOKEN_LIFETIME: 'refreshTokenLifetime',
  ROTATE_REFRESH_TOKENS: 'rotateRefreshTokens',
  BLACKLIST_AFTER_ROTATION: 'blacklistAfterRotation',
  ALGORITHM: 'algorithm',
  AUTH_COOKIE: 'authCookie.name',
  AUTH_COOKIE_SECURE: 'authCookie.secure',
  AUTH_COOKIE_SAMESITE: 'authCookie.sameSite',
  AUTH_COOKIE_PATH: 'authCookie.path',
  AUTH_COOKIE_DOMAIN: 'authCookie.domain',
  AUTH_COOKIE_HTTP_ONLY: 'authCookie.httpOnly',
}

/**
 * Validates settings, fills in defaults and freezes the result. Throws `ImproperlyConfigured` naming the bad key.
 * @example defineSettings({ signingKey: process.env.COOKIEJWT_SIGNING_KEY, accessTokenLifetime: '10m' })
 */
export function defineSettings(input: AuthSettingsInput): AuthSettings {
  if (input === null || typeof input !== 'object') throw new ImproperlyConfigured('settings must be an object')
  rejectUnknownKeys(input as Record<string, unknown>, DEFAULT_SETTINGS, '')
  const d = DEFAULT_SETTINGS
  const i = input as Record<string, unknown> & AuthSettingsInput

  const algorithm = pick(i.algorithm, d.algorithm, 'algorithm')
  if (!ALGORITHMS.includes(algorithm)) {
    throw new ImproperlyConfigured(`"algorithm" must be one of ${ALGORITHMS.join(', ')} (got ${JSON.stringify(algorithm)})`)
  }
  const signingKey = i.signingKey
  if (typeof signingKey !== 'string' || signingKey.length === 0) {
    throw new ImproperlyConfigured('"signingKey" is required (set COOKIEJWT_SIGNING_KEY)')
  }
  if (Buffer.byteLength(signingKey, 'utf8') < MIN_HMAC_KEY_BYTES) {
    throw new ImproperlyConfigured(
      `"signingKey" is too short for ${algorithm}: an HMAC key must be at least ${MIN_HMAC_KEY_BYTES} bytes (RFC 7518 §3.2)`,
    )
  }

  const cors = { ...d.cors, ...(i.cors ?? {}) }
  const allowedOrigins = origins(cors.allowedOrigins, 'cors.allowedOrigins')
  const csrfInput = { ...d.csrf, ...(i.csrf ?? {}) }
  const trustedOrigins =
    i.csrf?.trustedOrigins === undefined
      ? allowedOrigins
      : origins(csrfInput.trustedOrigins, 'csrf.trustedOrigins')

  const settings: AuthSettings = {
    signingKey,
    verifyingKey: nullableString(i.verifyingKey, 'verifyingKey'),
    algorithm,
    audience: nullableString(i.audience, 'audience'),
    issuer: nullableString(i.issuer, 'issuer'),
    leeway: toSeconds(i.leeway ?? d.leeway, 'leeway'),
    accessTokenLifetime: positive(i.accessTokenLifetime ?? d.accessTokenLifetime, 'accessTokenLifetime'),
    refreshTokenLifetime: positive(i.refreshTokenLifetime ?? d.refreshTokenLifetime, 'refreshTokenLifetime'),
    slidingTokenLifetime: positive(i.slidingTokenLifetime ?? d.slidingTokenLifetime, 'slidingTokenLifetime'),
    slidingTokenRefreshLifetime: positive(
      i.slidingTokenRefreshLifetime ?? d.slidingTokenRefreshLifetime,
      'slidingTokenRefreshLifetime',
    ),
    rotateRefreshTokens: bool(i.rotateRefreshTokens, d.rotateRefreshTokens, 'rotateRefreshTokens'),
    blacklistAfterRotation: bool(i.blacklistAfterRotation, d.blacklistAfterRotation, 'blacklistAfterRotation'),
    updateLastLogin: bool(i.updateLastLogin, d.updateLastLogin, 'updateLastLogin'),
    authHeaderTypes: stringList(i.authHeaderTypes ?? d.authHeaderTypes, 'authHeaderTypes', /^[A-Za-z0-9._~+-]+$/),
    authHeaderName: headerName(i.authHeaderName ?? d.authHeaderName, 'authHeaderName').toLowerCase(),
    userIdField: oneOf(i.userIdField ?? d.userIdField, ['id', 'username'] as const, 'userIdField'),
    userIdClaim: name(i.userIdClaim ?? d.userIdClaim, 'userIdClaim'),
    tokenTypeClaim: name(i.tokenTypeClaim ?? d.tokenTypeClaim, 'tokenTypeClaim'),
    jtiClaim: name(i.jtiClaim ?? d.jtiClaim, 'jtiClaim'),
    userAuthenticationRule: fn(i.userAuthenticationRule ?? d.userAuthenticationRule, 'userAuthenticationRule'),
    statelessUser: bool(i.statelessUser, d.statelessUser, 'statelessUser'),
    authCookie: cookieSettings({ ...d.authCookie, ...(i.authCookie ?? {}) }, 'authCookie'),
    refreshCookie: cookieSettings({ ...d.refreshCookie, ...(i.refreshCookie ?? {}) }, 'refreshCookie'),
    csrf: {
      cookieName: cookieName(csrfInput.cookieName, 'csrf.cookieName'),
      headerName: headerName(csrfInput.headerName, 'csrf.headerName'),
      cookieAge: positive(csrfInput.cookieAge, 'csrf.cookieAge'),
      cookiePath: path(csrfInput.cookiePath, 'csrf.cookiePath'),
      cookieDomain: nullableString(csrfInput.cookieDomain, 'csrf.cookieDomain'),
      cookieSecure: bool(csrfInput.cookieSecure, false, 'csrf.cookieSecure'),
      cookieSameSite: sameSite(csrfInput.cookieSameSite, csrfInput.cookieSecure, 'csrf.cookieSameSite'),
      trustedOrigins,
    },
    cors: {
      allowedOrigins,
      allowCredentials: bool(cors.allowCredentials, true, 'cors.allowCredentials'),
      maxAge: toSeconds(cors.maxAge, 'cors.maxAge'),
    },
    returnTokensInBody: bool(i.returnTokensInBody, d.returnTokensInBody, 'returnTokensInBody'),
    passwordHasher: name(i.passwordHasher ?? d.passwordHasher, 'passwordHasher'),
    passwordHasherOptions: { ...(i.passwordHasherOptions ?? d.passwordHasherOptions) },
    passwordMinLength: positive(i.passwordMinLength ?? d.passwordMinLength, 'passwordMinLength'),
    bodyLimit: positive(i.bodyLimit ?? d.bodyLimit, 'bodyLimit'),
  }
  if (settings.authCookie.name === settings.refreshCookie.name) {
    throw new ImproperlyConfigured('"authCookie.name" and "refreshCookie.name" must differ')
  }
  return deepFreeze(settings)
}

function rejectUnknownKeys(input: Record<string, unknown>, defaults: object, prefix: string): void {
  for (const key of Object.keys(input)) {
    if (prefix === '' && key === 'signingKey') continue
    const renamed = RENAMED_KEYS[key]
    if (renamed) throw new ImproperlyConfigured(`unknown setting "${prefix}${key}": use "${renamed}"`)
    if (!(key in defaults)) throw new ImproperlyConfigured(`unknown setting "${prefix}${key}"`)
    const value = input[key]
    const def = (defaults as Record<string, unknown>)[key]
    if (def && typeof def === 'object' && !Array.isArray(def) && Object.keys(def).length > 0) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ImproperlyConfigured(`"${prefix}${key}" must be an object`)
      }
      rejectUnknownKeys(value as Record<string, unknown>, def, `${prefix}${key}.`)
    }
  }
}

function pick<T>(value: T | undefined, fallback: T, _key: string): T {
  return value === undefined ? fallback : value
}

function bool(value: unknown, fallback: boolean, key: string): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new ImproperlyConfigured(`"${key}" must be true or false`)
  return value
}

function positive(value: Duration, key: string): number {
  const seconds = toSeconds(value, key)
  if (seconds <= 0) throw new ImproperlyConfigured(`"${key}" must be greater than zero`)
  return seconds
}

function nullableString(value: unknown, key: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.length === 0) throw new ImproperlyConfigured(`"${key}" must be a non-empty string or null`)
  return value
}

function name(value: unknown, key: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(value)) {
    throw new ImproperlyConfigured(`"${key}" must be a name of letters, digits and underscores`)
  }
  return value
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], key: string): T {
  if (!allowed.includes(value as T)) throw new ImproperlyConfigured(`"${key}" must be one of ${allowed.join(', ')}`)
  return value as T
}

function fn<T>(value: T, key: string): T {
  if (typeof value !== 'function') throw new ImproperlyConfigured(`"${key}" must be a function`)
  return value
}

function stringList(value: unknown, key: string, pattern: RegExp): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && pattern.test(v))) {
    throw new ImproperlyConfigured(`"${key}" must be a non-empty list of names`)
  }
  return [...value]
}

function headerName(value: unknown, key: string): string {
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) throw new ImproperlyConfigured(`"${key}" must be an HTTP header name`)
  return value
}

function cookieName(value: unknown, key: string): string {
  if (typeof value !== 'string' || !COOKIE_NAME.test(value)) throw new ImproperlyConfigured(`"${key}" must be a valid cookie name`)
  return value
}

function path(value: unknown, key: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || /[;\s\u0000-\u001f\u007f]/.test(value)) {
    throw new ImproperlyConfigured(`"${key}" must be a path starting with "/"`)
  }
  return value
}

function sameSite(value: unknown, secure: unknown, key: string): SameSite {
  if (!SAME_SITES.includes(value)) throw new ImproperlyConfigured(`"${key}" must be 'Lax', 'Strict', 'None' or false`)
  // Browsers drop SameSite=None cookies that are not Secure (RFC 6265bis §5.6.19).
  if (value === 'None' && secure !== true) {
    throw new ImproperlyConfigured(`"${key}" is 'None' but the cookie is not Secure: browsers reject such cookies`)
  }
  return value as SameSite
}

function cookieSettings(value: Record<string, unknown>, key: string): CookieSettings {
  const secure = bool(value.secure, false, `${key}.secure`)
  return {
    name: cookieName(value.name, `${key}.name`),
    domain: nullableString(value.domain, `${key}.domain`),
    path: path(value.path, `${key}.path`),
    secure,
    httpOnly: bool(value.httpOnly, true, `${key}.httpOnly`),
    sameSite: sameSite(value.sameSite, secure, `${key}.sameSite`),
  }
}

function origins(value: unknown, key: string): string[] {
  if (!Array.isArray(value)) throw new ImproperlyConfigured(`"${key}" must be a list of origins`)
  return value.map((origin) => {
    if (origin === '*') {
      throw new ImproperlyConfigured(`"${key}" cannot contain "*": credentials are never shared with every origin`)
    }
    if (typeof origin !== 'string') throw new ImproperlyConfigured(`"${key}" must contain strings`)
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw new ImproperlyConfigured(`"${key}" has ${JSON.stringify(origin)}, which is not an origin like https://app.example.com`)
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin.replace(/\/$/, '')) {
      throw new ImproperlyConfigured(
        `"${key}" has ${JSON.stringify(origin)}: write a scheme, host and optional port only, like https://app.example.com`,
      )
    }
    return url.origin
  })
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
