import { ImproperlyConfigured } from './errors.js'
import { toSeconds, type Duration } from './durations.js'
import type { User } from './user.js'
import { ALGORITHMS, checkKeyMaterial, isHmacAlgorithm, normalizeSigningKeys, type Algorithm, type SigningKey } from './tokens/keys.js'
import { checkOriginList } from './origins.js'
import { existsSync } from 'node:fs'
import type { PasswordUserAttribute, PasswordValidatorSettings } from './passwords/validators.js'
import { userTableSettings, type UserTableInput, type UserTableSettings } from './user-table.js'

export type { Algorithm } from './tokens/keys.js'

/** `SameSite` attribute of a cookie; `false` leaves the attribute out. */
export type SameSite = 'Lax' | 'Strict' | 'None' | false

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
  /** `Partitioned` attribute (CHIPS: one cookie jar per top-level site); requires `secure`. @default false */
  readonly partitioned: boolean
}

/** A cookie an older configuration set (another name, `Path` or `Domain`), cleared on login, refresh and logout. */
export interface LegacyCookie {
  readonly name: string
  readonly path: string
  /** `null` for a host-only cookie. */
  readonly domain: string | null
}

/** A cookie name prefix that makes browsers enforce attributes (RFC 6265bis §4.1.3). */
export type CookiePrefix = '__Host-' | '__Secure-'

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
  /** `Partitioned` attribute of the CSRF cookie (CHIPS); requires `cookieSecure`. @default false */
  readonly cookiePartitioned: boolean
  /**
   * Origins (scheme://host[:port]) trusted for unsafe requests besides the server's own; `https://*.example.com`
   * matches exactly one subdomain label. Defaults to the CORS origins.
   */
  readonly trustedOrigins: readonly string[]
}

/** CORS settings (django-cors-headers' `CORS_ALLOWED_ORIGINS`, `CORS_ALLOW_CREDENTIALS`). */
export interface CorsSettings {
  /**
   * Origins allowed to call the API with credentials: exact, or `https://*.example.com` for exactly one subdomain label.
   * @default ['http://localhost:3000', 'http://127.0.0.1:3000']
   */
  readonly allowedOrigins: readonly string[]
  /** @default true */
  readonly allowCredentials: boolean
  /** Preflight cache lifetime in seconds. @default 86400 */
  readonly maxAge: number
}

/**
 * Login throttling and lockout (after django-axes and DRF throttles); windows in seconds. The defaults hold OWASP
 * ASVS's ceiling of 100 failed logins per hour against one account from any number of addresses: a key's window starts
 * at its first failure, so any hour overlaps at most two windows of one key, 2 × 50 = 100. One address spraying
 * passwords over many usernames is stopped after 30 failures.
 */
export interface ThrottleSettings {
  /** Throttle login, token and refresh endpoints at all. @default true */
  readonly enabled: boolean
  /** Length of the fixed counting window in seconds; a lockout lasts for the rest of it. @default 3600 ('1h') */
  readonly window: number
  /** Failed logins for one username from one IP before that pair is locked. @default 10 */
  readonly failuresPerUsernameIp: number
  /** Failed logins for one username from all IPs before the username is locked everywhere. @default 50 */
  readonly failuresPerUsername: number
  /** Failed logins and refreshes from one IP (any username) before the IP is locked. @default 30 */
  readonly failuresPerIp: number
}

/** The TOTP second factor (RFC 6238): the otpauth issuer, the keys protecting secrets, code throttling. */
export interface MfaSettings {
  /** Issuer of `otpauth://` URLs: the name an authenticator app shows beside the account. @default 'cookiejwt' */
  readonly issuer: string
  /**
   * Secrets (each at least 32 bytes) that encrypt TOTP secrets and key the backup-code hashes: the first protects
   * new values, every one still opens old ones (rotation). Empty: derived from the signing key(s), so that rotating
   * the signing key away also makes enrolled secrets unreadable — set this in production. @default []
   */
  readonly keys: readonly string[]
  /**
   * Wrong codes for one user, from every IP, in one `throttle.window` before that user's codes are refused (429);
   * counted even when `throttle.enabled` is false: a second factor without a guess limit is none. @default 5
   */
  readonly failuresPerUser: number
  /** Lifetime of the token between a login's password step and its code step, in seconds. @default 300 ('5m') */
  readonly tokenLifetime: number
}

/** Which backend delivers email (Django's `EMAIL_BACKEND`). */
export type EmailBackendName = 'smtp' | 'console' | 'file'

/** allauth's `ACCOUNT_EMAIL_VERIFICATION`. */
export type EmailVerification = 'mandatory' | 'optional' | 'none'

/** Outgoing email: the backend, the sender and the delivery queue's retries. */
export interface EmailSettings {
  /** `file` writes one RFC 5322 `.eml` file per message (development), `console` prints, `smtp` sends. @default 'file' */
  readonly backend: EmailBackendName
  /** Folder of the `file` backend; relative paths are resolved against the working directory. @default 'data/emails' */
  readonly filePath: string
  /** `smtp://user:password@host:port` or `smtps://…` (implicit TLS); required by the `smtp` backend. @default null */
  readonly url: string | null
  /** Sender address, `addr@example.com` or `Name <addr@example.com>` (Django's `DEFAULT_FROM_EMAIL`). @default 'webmaster@localhost' */
  readonly from: string
  /** A folder whose `<template>.subject.txt`, `.txt` and `.html` files replace the built-in templates. @default null */
  readonly templatesDir: string | null
  /** Deliveries tried before a message is marked failed (then `cookiejwt emails retry`). @default 5 */
  readonly maxAttempts: number
  /** Seconds before the first retry; each further retry waits twice as long (at most an hour). @default 30 */
  readonly retryDelay: number
}

/** Settings after validation: every key present, durations in seconds, frozen. */
export interface AuthSettings {
  /** Signing key (simplejwt `SIGNING_KEY`); an HMAC key must be at least 32 bytes. */
  readonly signingKey: string
  /** Verifying key: the PEM public key for an asymmetric `algorithm`; for HMAC it is the signing key. @default null */
  readonly verifyingKey: string | null
  /** Algorithm of `signingKey`: HS256/384/512, or RS256, ES256, EdDSA with a PEM private key. @default 'HS256' */
  readonly algorithm: Algorithm
  /**
   * A key set for rotation: each `{ kid, algorithm, key, publicKey?, active? }`; the one active key signs (its `kid`
   * goes in the header), every key verifies tokens carrying its `kid`. When set, `signingKey` is optional and, when
   * given, verifies only tokens without a `kid` (issued before the key set). @default []
   */
  readonly signingKeys: readonly SigningKey[]
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
  /**
   * Write `last_login` on every login (cookie and Bearer), as Django's session login does; simplejwt's
   * `UPDATE_LAST_LOGIN` (default `False` there) maps to it, so `false` turns it off. @default true
   */
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
  /**
   * Rules for new passwords, Django's default `AUTH_PASSWORD_VALIDATORS` (similarity to the user's attributes,
   * minimum length 8, Django's common-password list, not entirely numeric); each has `enabled`.
   */
  readonly passwordValidators: PasswordValidatorSettings
  /** Largest accepted request body in bytes. @default 65536 */
  readonly bodyLimit: number
  /**
   * Seconds after a rotation during which the rotated refresh token, presented again (a concurrent tab), gets the
   * same successor pair instead of revoking its session family. At most 9. @default 5
   */
  readonly refreshGraceWindow: number
  /** Refuse access tokens of revoked sessions and of older session versions on every request. @default true */
  readonly revocationChecks: boolean
  /** How long a process caches a session's "not revoked" status and a user's session version, in seconds. @default 2 */
  readonly revocationCacheTtl: number
  /** Login throttling and lockout. */
  readonly throttle: ThrottleSettings
  /** The TOTP second factor. */
  readonly mfa: MfaSettings
  /**
   * Absolute lifetime of a session (a refresh-token family) counted from the login, in seconds: rotation never
   * extends a session past it, so an active user logs in again at least this often (OWASP ASVS 5.0 §7.3.2). `null` lets
   * rotation extend a session for ever. @default 2592000 ('30d')
   */
  readonly sessionMaxLifetime: number | null
  /**
   * How long after a login sensitive changes (ending sessions, changing the email address) go through without the
   * password again, in seconds, counted from the session's `auth_time`; after it they need `{"password"}` in the
   * body (OWASP ASVS 5.0 §7.5.1, §7.5.2). `0` asks for the password every time. @default 600 ('10m')
   */
  readonly reauthWindow: number
  /**
   * `Strict-Transport-Security: max-age=<this>; includeSubDomains` on every response to an HTTPS request (OWASP ASVS
   * 5.0 §3.4.1; browsers ignore the header over plain HTTP). `null` sends none (e.g. the proxy sets it). @default
   * 31536000 ('365d')
   */
  readonly hstsMaxAge: number | null
  /**
   * Prefix of both JWT cookie names. `'__Host-'` forces `Secure`, `Path=/` and no `Domain` on both — so the refresh
   * cookie is sent on every request, not only to the auth endpoints; `'__Secure-'` forces `Secure` only. @default null
   */
  readonly cookiePrefix: CookiePrefix | null
  /** Cookies set by an older configuration (name, path, domain); cleared on login, refresh and logout. @default [] */
  readonly legacyCookies: readonly LegacyCookie[]
  /** Trust `X-Forwarded-Proto`/`-For` from a reverse proxy; HTTPS requests then always get `Secure` cookies. @default false */
  readonly trustProxy: boolean
  /** Register `GET /api/auth/diagnostics/` (never when `NODE_ENV=production`). @default false */
  readonly diagnostics: boolean
  /**
   * Serve the OpenAPI 3.1 document at `/api/schema/` and the interactive reference at `/api/docs/`: `true` always,
   * `false` never, `null` unless `NODE_ENV=production`. @default null
   */
  readonly apiDocs: boolean | null
  /** Let anyone create an account with `POST /api/auth/register/`. @default false */
  readonly registration: boolean
  /**
   * allauth's `ACCOUNT_EMAIL_VERIFICATION`: `mandatory` refuses logins until the address is verified, `optional`
   * sends the link but lets people in, `none` sends nothing. @default 'optional'
   */
  readonly emailVerification: EmailVerification
  /** Base URL of the front end, for links in emails (`<frontendUrl>/verify-email/<key>`). The CLI defaults it to its own origin. @default null */
  readonly frontendUrl: string | null
  /** Lifetime of an email verification link in seconds (allauth: 3 days). @default 259200 ('3d') */
  readonly emailVerificationLifetime: number
  /** Lifetime of a password reset link in seconds (Django's `PASSWORD_RESET_TIMEOUT`). @default 259200 ('3d') */
  readonly passwordResetTimeout: number
  /** Send a "no account here" email when a reset is asked for an unknown address (allauth's `ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS`). @default true */
  readonly passwordResetUnknownAccounts: boolean
  /** Outgoing email. */
  readonly email: EmailSettings
  /**
   * Seconds `cookiejwt serve` waits after SIGTERM/SIGINT for open connections to finish and close before it
   * destroys them and exits 1. @default 10
   */
  readonly shutdownTimeout: number
  /**
   * The table users live in: Django's `auth_user` by default, or an existing table of the application (names, id
   * type, flag storage, hash format; see docs/user-table.md). Checked against the real schema at start-up.
   */
  readonly userTable: UserTableSettings
}

/** What `defineSettings` accepts: every key optional except `signingKey`; durations as seconds or '5m'. */
export type AuthSettingsInput = {
  [K in keyof AuthSettings]?: K extends
    | 'accessTokenLifetime'
    | 'refreshTokenLifetime'
    | 'slidingTokenLifetime'
    | 'slidingTokenRefreshLifetime'
    | 'leeway'
    | 'refreshGraceWindow'
    | 'revocationCacheTtl'
    | 'emailVerificationLifetime'
    | 'passwordResetTimeout'
    | 'shutdownTimeout'
    | 'reauthWindow'
    ? Duration
    : K extends 'sessionMaxLifetime' | 'hstsMaxAge'
      ? Duration | null
    : K extends 'throttle'
      ? Partial<Omit<ThrottleSettings, 'window'>> & { window?: Duration }
    : K extends 'email'
      ? Partial<Omit<EmailSettings, 'retryDelay'>> & { retryDelay?: Duration }
    : K extends 'passwordValidators'
      ? { [R in keyof PasswordValidatorSettings]?: Partial<PasswordValidatorSettings[R]> }
    : K extends 'mfa'
      ? Partial<Omit<MfaSettings, 'tokenLifetime'>> & { tokenLifetime?: Duration }
    : K extends 'userTable'
      ? UserTableInput
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

const cookie = { domain: null, secure: false, httpOnly: true, sameSite: 'Lax', partitioned: false } as const

/** The defaults table; the README repeats it. */
export const DEFAULT_SETTINGS = {
  verifyingKey: null,
  algorithm: 'HS256',
  signingKeys: [] as SigningKey[],
  audience: null,
  issuer: null,
  leeway: 0,
  accessTokenLifetime: DEFAULT_ACCESS_TOKEN_LIFETIME,
  refreshTokenLifetime: DEFAULT_REFRESH_TOKEN_LIFETIME,
  slidingTokenLifetime: 300,
  slidingTokenRefreshLifetime: 86400,
  rotateRefreshTokens: true,
  blacklistAfterRotation: true,
  updateLastLogin: true,
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
    cookiePartitioned: false,
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
  passwordValidators: {
    userAttributeSimilarity: {
      enabled: true,
      userAttributes: ['username', 'firstName', 'lastName', 'email'] as PasswordUserAttribute[],
      maxSimilarity: 0.7,
    },
    minimumLength: { enabled: true, minLength: 8 },
    commonPassword: { enabled: true, passwordListPath: null },
    numeric: { enabled: true },
  },
  bodyLimit: 65536,
  refreshGraceWindow: 5,
  revocationChecks: true,
  revocationCacheTtl: 2,
  sessionMaxLifetime: 2592000,
  reauthWindow: 600,
  hstsMaxAge: 31536000,
  throttle: {
    enabled: true,
    window: 3600,
    failuresPerUsernameIp: 10,
    failuresPerUsername: 50,
    failuresPerIp: 30,
  },
  mfa: {
    issuer: 'cookiejwt',
    keys: [] as string[],
    failuresPerUser: 5,
    tokenLifetime: 300,
  },
  cookiePrefix: null,
  legacyCookies: [] as LegacyCookie[],
  trustProxy: false,
  diagnostics: false,
  apiDocs: null,
  registration: false,
  emailVerification: 'optional',
  frontendUrl: null,
  emailVerificationLifetime: 259200,
  passwordResetTimeout: 259200,
  passwordResetUnknownAccounts: true,
  email: {
    backend: 'file',
    filePath: 'data/emails',
    url: null,
    from: 'webmaster@localhost',
    templatesDir: null,
    maxAttempts: 5,
    retryDelay: 30,
  },
  shutdownTimeout: 10,
  userTable: {
    table: 'auth_user',
    idType: 'integer',
    booleans: 'native',
    activeStatus: null,
    passwordFormat: 'django',
    columns: {
      id: 'id',
      username: 'username',
      password: 'password',
      email: 'email',
      firstName: 'first_name',
      lastName: 'last_name',
      isActive: 'is_active',
      isStaff: 'is_staff',
      isSuperuser: 'is_superuser',
      dateJoined: 'date_joined',
      lastLogin: 'last_login',
    },
  },
} as const satisfies Omit<AuthSettings, 'signingKey' | 'csrf'> & { csrf: unknown }

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
  AUTH_PASSWORD_VALIDATORS: 'passwordValidators',
  passwordMinLength: 'passwordValidators.minimumLength.minLength',
}

/**
 * Validates settings, fills in defaults and freezes the result. Throws `ImproperlyConfigured` naming the bad key.
 * @example defineSettings({ signingKey: process.env.COOKIEJWT_SIGNING_KEY, accessTokenLifetime: '10m' })
 */
export function defineSettings(input: AuthSettingsInput): AuthSettings {
  if (input === null || typeof input !== 'object') throw new ImproperlyConfigured('settings must be an object')
  rejectUnknownKeys(input, DEFAULT_SETTINGS, '')
  const d = DEFAULT_SETTINGS
  const i = input as Record<string, unknown> & AuthSettingsInput

  const algorithm = pick(i.algorithm, d.algorithm, 'algorithm')
  if (!ALGORITHMS.includes(algorithm)) {
    throw new ImproperlyConfigured(`"algorithm" must be one of ${ALGORITHMS.join(', ')} (got ${JSON.stringify(algorithm)})`)
  }
  const signingKeys = normalizeSigningKeys(i.signingKeys ?? [], 'signingKeys', MIN_HMAC_KEY_BYTES)
  const activeKey = signingKeys.find((k) => k.active)
  let signingKey = i.signingKey
  let verifyingKey = nullableString(i.verifyingKey, 'verifyingKey')
  if (signingKey === undefined && activeKey) {
    // Key set only: `signingKey` mirrors the active key; kid-less tokens are refused (see codec.ts).
    signingKey = ''
  } else {
    if (typeof signingKey !== 'string' || signingKey.length === 0) {
      throw new ImproperlyConfigured('"signingKey" is required (set COOKIEJWT_SIGNING_KEY)')
    }
    const derived = checkKeyMaterial(algorithm, signingKey, isHmacAlgorithm(algorithm) ? null : verifyingKey, 'signingKey', MIN_HMAC_KEY_BYTES)
    if (!isHmacAlgorithm(algorithm)) verifyingKey = derived
  }

  const prefix = i.cookiePrefix === undefined || i.cookiePrefix === null
    ? null
    : oneOf(i.cookiePrefix, ['__Host-', '__Secure-'] as const, 'cookiePrefix')
  const cors = { ...d.cors, ...(i.cors ?? {}) }
  const allowedOrigins = origins(cors.allowedOrigins, 'cors.allowedOrigins')
  const csrfInput = { ...d.csrf, ...(i.csrf ?? {}) }
  const trustedOrigins =
    i.csrf?.trustedOrigins === undefined
      ? allowedOrigins
      : origins(csrfInput.trustedOrigins, 'csrf.trustedOrigins')

  const settings: AuthSettings = {
    signingKey,
    verifyingKey,
    algorithm,
    signingKeys,
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
    authCookie: prefixedCookie(prefix, { ...d.authCookie, ...(i.authCookie ?? {}) }, i.authCookie, 'authCookie'),
    refreshCookie: prefixedCookie(prefix, { ...d.refreshCookie, ...(i.refreshCookie ?? {}) }, i.refreshCookie, 'refreshCookie'),
    csrf: {
      cookieName: cookieName(csrfInput.cookieName, 'csrf.cookieName'),
      headerName: headerName(csrfInput.headerName, 'csrf.headerName'),
      cookieAge: positive(csrfInput.cookieAge, 'csrf.cookieAge'),
      cookiePath: path(csrfInput.cookiePath, 'csrf.cookiePath'),
      cookieDomain: nullableString(csrfInput.cookieDomain, 'csrf.cookieDomain'),
      cookieSecure: bool(csrfInput.cookieSecure, false, 'csrf.cookieSecure'),
      cookieSameSite: sameSite(csrfInput.cookieSameSite, csrfInput.cookieSecure, 'csrf.cookieSameSite'),
      cookiePartitioned: partitioned(csrfInput.cookiePartitioned, csrfInput.cookieSecure, 'csrf.cookiePartitioned'),
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
    passwordValidators: passwordValidators(i.passwordValidators ?? {}),
    bodyLimit: positive(i.bodyLimit ?? d.bodyLimit, 'bodyLimit'),
    refreshGraceWindow: maxSeconds(i.refreshGraceWindow ?? d.refreshGraceWindow, 'refreshGraceWindow', MAX_REFRESH_GRACE_WINDOW),
    revocationChecks: bool(i.revocationChecks, d.revocationChecks, 'revocationChecks'),
    revocationCacheTtl: maxSeconds(i.revocationCacheTtl ?? d.revocationCacheTtl, 'revocationCacheTtl', 60),
    sessionMaxLifetime:
      i.sessionMaxLifetime === null ? null : positive(i.sessionMaxLifetime ?? d.sessionMaxLifetime, 'sessionMaxLifetime'),
    reauthWindow: toSeconds(i.reauthWindow ?? d.reauthWindow, 'reauthWindow'),
    hstsMaxAge: i.hstsMaxAge === null ? null : positive(i.hstsMaxAge ?? d.hstsMaxAge, 'hstsMaxAge'),
    throttle: throttleSettings({ ...d.throttle, ...(i.throttle ?? {}) }),
    mfa: mfaSettings({ ...d.mfa, ...(i.mfa ?? {}) }),
    cookiePrefix: prefix,
    legacyCookies: legacyCookies(i.legacyCookies ?? d.legacyCookies),
    trustProxy: bool(i.trustProxy, d.trustProxy, 'trustProxy'),
    diagnostics: bool(i.diagnostics, d.diagnostics, 'diagnostics'),
    apiDocs: i.apiDocs === undefined || i.apiDocs === null ? null : bool(i.apiDocs, false, 'apiDocs'),
    registration: bool(i.registration, d.registration, 'registration'),
    emailVerification: oneOf(i.emailVerification ?? d.emailVerification, ['mandatory', 'optional', 'none'] as const, 'emailVerification'),
    frontendUrl: frontendUrl(i.frontendUrl),
    emailVerificationLifetime: positive(i.emailVerificationLifetime ?? d.emailVerificationLifetime, 'emailVerificationLifetime'),
    passwordResetTimeout: positive(i.passwordResetTimeout ?? d.passwordResetTimeout, 'passwordResetTimeout'),
    passwordResetUnknownAccounts: bool(i.passwordResetUnknownAccounts, d.passwordResetUnknownAccounts, 'passwordResetUnknownAccounts'),
    email: emailSettings({ ...d.email, ...(i.email ?? {}) }),
    shutdownTimeout: maxSeconds(positive(i.shutdownTimeout ?? d.shutdownTimeout, 'shutdownTimeout'), 'shutdownTimeout', 3600),
    userTable: userTableSettings(i.userTable, d.userTable, name(i.passwordHasher ?? d.passwordHasher, 'passwordHasher')),
  }
  for (const legacy of settings.legacyCookies) {
    for (const c of [settings.authCookie, settings.refreshCookie]) {
      if (legacy.name === c.name && legacy.path === c.path && legacy.domain === c.domain) {
        throw new ImproperlyConfigured(`"legacyCookies" lists the current ${c.name} cookie; clearing it would log everyone out`)
      }
    }
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
  const name = cookieName(value.name, `${key}.name`)
  const domain = nullableString(value.domain, `${key}.domain`)
  const cookiePath = path(value.path, `${key}.path`)
  // Browsers reject prefixed cookies whose attributes break the prefix's rules (RFC 6265bis §4.1.3).
  if ((name.startsWith('__Secure-') || name.startsWith('__Host-')) && !secure) {
    throw new ImproperlyConfigured(`"${key}.name" starts with ${name.split('-')[0]}- so "${key}.secure" must be true`)
  }
  if (name.startsWith('__Host-') && (domain !== null || cookiePath !== '/')) {
    throw new ImproperlyConfigured(`"${key}.name" starts with __Host- so "${key}.path" must be '/' and "${key}.domain" null`)
  }
  return {
    name,
    domain,
    path: cookiePath,
    secure,
    httpOnly: bool(value.httpOnly, true, `${key}.httpOnly`),
    sameSite: sameSite(value.sameSite, secure, `${key}.sameSite`),
    partitioned: partitioned(value.partitioned, secure, `${key}.partitioned`),
  }
}

function partitioned(value: unknown, secure: unknown, key: string): boolean {
  const on = bool(value, false, key)
  // CHIPS: browsers ignore `Partitioned` on a cookie that is not Secure.
  if (on && secure !== true) throw new ImproperlyConfigured(`"${key}" is true but the cookie is not Secure: Partitioned requires Secure`)
  return on
}

/**
 * Applies `cookiePrefix` to a JWT cookie: `__Host-` forces `Secure`, `Path=/` and no `Domain` (RFC 6265bis §4.1.3.2),
 * `__Secure-` forces `Secure`. An explicit setting that contradicts the prefix is an error, never silently changed.
 */
function prefixedCookie(
  prefix: CookiePrefix | null,
  merged: Record<string, unknown>,
  given: Partial<CookieSettings> | undefined,
  key: string,
): CookieSettings {
  if (prefix === null) return cookieSettings(merged, key)
  if (given?.secure === false) throw new ImproperlyConfigured(`"cookiePrefix" is ${prefix} so "${key}.secure" cannot be false`)
  const name = String(merged.name)
  const out: Record<string, unknown> = { ...merged, secure: true, name: name.startsWith(prefix) ? name : `${prefix}${name}` }
  if (prefix === '__Host-') {
    if (given?.domain != null) throw new ImproperlyConfigured(`"cookiePrefix" is __Host- so "${key}.domain" must be null`)
    if (given?.path !== undefined && given.path !== '/') {
      throw new ImproperlyConfigured(`"cookiePrefix" is __Host- so "${key}.path" must be '/' (or use '__Secure-')`)
    }
    out.path = '/'
  }
  return cookieSettings(out, key)
}

function legacyCookies(value: unknown): LegacyCookie[] {
  if (!Array.isArray(value)) throw new ImproperlyConfigured('"legacyCookies" must be a list of { name, path, domain }')
  return value.map((entry, index) => {
    const key = `legacyCookies[${index}]`
    if (entry === null || typeof entry !== 'object') throw new ImproperlyConfigured(`"${key}" must be an object`)
    const e = entry as Record<string, unknown>
    for (const field of Object.keys(e)) {
      if (!['name', 'path', 'domain'].includes(field)) throw new ImproperlyConfigured(`unknown setting "${key}.${field}"`)
    }
    return {
      name: cookieName(e.name, `${key}.name`),
      path: path(e.path ?? '/', `${key}.path`),
      domain: nullableString(e.domain, `${key}.domain`),
    }
  })
}

function origins(value: unknown, key: string): string[] {
  return checkOriginList(value, key)
}

// A replayed refresh token older than this is a theft signal, not a concurrent tab (RFC 9700 §4.14.2).
const MAX_REFRESH_GRACE_WINDOW = 9

function maxSeconds(value: Duration, key: string, max: number): number {
  const seconds = toSeconds(value, key)
  if (seconds > max) throw new ImproperlyConfigured(`"${key}" must be at most ${max} seconds (got ${seconds})`)
  return seconds
}

function throttleSettings(value: Record<string, unknown>): ThrottleSettings {
  const count = (key: string) => {
    const n = value[key]
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
      throw new ImproperlyConfigured(`"throttle.${key}" must be a whole number greater than zero`)
    }
    return n
  }
  return {
    enabled: bool(value.enabled, true, 'throttle.enabled'),
    window: positive(value.window as Duration, 'throttle.window'),
    failuresPerUsernameIp: count('failuresPerUsernameIp'),
    failuresPerUsername: count('failuresPerUsername'),
    failuresPerIp: count('failuresPerIp'),
  }
}

function frontendUrl(value: unknown): string | null {
  if (value === undefined || value === null) return null
  let url: URL | null = null
  try {
    url = typeof value === 'string' ? new URL(value) : null
  } catch {
    url = null
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username) {
    throw new ImproperlyConfigured('"frontendUrl" must be an http(s) URL without query or fragment, e.g. https://app.example.com')
  }
  return String(value).replace(/\/+$/, '')
}

// An address, optionally with a display name: `a@b`, `Name <a@b>`; no line breaks (header injection).
const FROM_ADDRESS = /^(?:[^<>\r\n"]*(?:"[^"\r\n]*")?[^<>\r\n"]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/

function emailSettings(value: Record<string, unknown>): EmailSettings {
  const backend = oneOf(value.backend, ['smtp', 'console', 'file'] as const, 'email.backend')
  const url = nullableString(value.url, 'email.url')
  if (url !== null) checkSmtpUrl(url)
  if (backend === 'smtp' && url === null) {
    throw new ImproperlyConfigured('"email.backend" is smtp but "email.url" is not set (COOKIEJWT_EMAIL_URL=smtp://user:password@host:port)')
  }
  const filePath = value.filePath
  if (typeof filePath !== 'string' || filePath.length === 0) throw new ImproperlyConfigured('"email.filePath" must be a folder path')
  const from = value.from
  if (typeof from !== 'string' || !FROM_ADDRESS.test(from.trim())) {
    throw new ImproperlyConfigured('"email.from" must be an address like webmaster@example.com or "Name <webmaster@example.com>"')
  }
  const templatesDir = nullableString(value.templatesDir, 'email.templatesDir')
  if (templatesDir !== null && !existsSync(templatesDir)) {
    throw new ImproperlyConfigured(`"email.templatesDir" names a folder that does not exist: ${templatesDir}`)
  }
  const attempts = value.maxAttempts
  if (typeof attempts !== 'number' || !Number.isSafeInteger(attempts) || attempts < 1 || attempts > 100) {
    throw new ImproperlyConfigured('"email.maxAttempts" must be a whole number from 1 to 100')
  }
  return {
    backend,
    filePath,
    url,
    from: from.trim(),
    templatesDir,
    maxAttempts: attempts,
    retryDelay: positive(value.retryDelay as Duration, 'email.retryDelay'),
  }
}

function checkSmtpUrl(value: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    // Never echo the value: it may carry the SMTP password.
    throw new ImproperlyConfigured('"email.url" is not a URL; expected smtp://user:password@host:port or smtps://…')
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ImproperlyConfigured(`"email.url" must start with smtp:// or smtps:// (got ${url.protocol}//)`)
  }
  if (!url.hostname) throw new ImproperlyConfigured('"email.url" has no host; expected smtp://user:password@host:port')
  if (url.pathname.replace(/\/+$/, '') !== '' || url.hash) {
    throw new ImproperlyConfigured('"email.url" must have no path or fragment; options go in the query (?requireTLS=true)')
  }
}

const USER_ATTRIBUTES: readonly PasswordUserAttribute[] = ['username', 'firstName', 'lastName', 'email']

function passwordValidators(input: NonNullable<AuthSettingsInput['passwordValidators']>): PasswordValidatorSettings {
  const d = DEFAULT_SETTINGS.passwordValidators
  const similarity = { ...d.userAttributeSimilarity, ...(input.userAttributeSimilarity ?? {}) }
  const length = { ...d.minimumLength, ...(input.minimumLength ?? {}) }
  const common = { ...d.commonPassword, ...(input.commonPassword ?? {}) }
  const numeric = { ...d.numeric, ...(input.numeric ?? {}) }
  const key = 'passwordValidators'
  const attributes = similarity.userAttributes as unknown
  if (!Array.isArray(attributes) || !attributes.every((a) => USER_ATTRIBUTES.includes(a as PasswordUserAttribute))) {
    throw new ImproperlyConfigured(`"${key}.userAttributeSimilarity.userAttributes" must list some of ${USER_ATTRIBUTES.join(', ')}`)
  }
  const max = similarity.maxSimilarity
  // Django refuses a max_similarity below 0.1: nearly every password would be "too similar".
  if (typeof max !== 'number' || !(max >= 0.1)) {
    throw new ImproperlyConfigured(`"${key}.userAttributeSimilarity.maxSimilarity" must be a number of at least 0.1`)
  }
  const minLength = length.minLength
  if (typeof minLength !== 'number' || !Number.isSafeInteger(minLength) || minLength < 1) {
    throw new ImproperlyConfigured(`"${key}.minimumLength.minLength" must be a whole number greater than zero`)
  }
  const listPath = nullableString(common.passwordListPath, `${key}.commonPassword.passwordListPath`)
  if (listPath !== null && !existsSync(listPath)) {
    throw new ImproperlyConfigured(`"${key}.commonPassword.passwordListPath" names a file that does not exist: ${listPath}`)
  }
  return {
    userAttributeSimilarity: {
      enabled: bool(similarity.enabled, true, `${key}.userAttributeSimilarity.enabled`),
      userAttributes: [...(attributes as PasswordUserAttribute[])],
      maxSimilarity: max,
    },
    minimumLength: { enabled: bool(length.enabled, true, `${key}.minimumLength.enabled`), minLength },
    commonPassword: { enabled: bool(common.enabled, true, `${key}.commonPassword.enabled`), passwordListPath: listPath },
    numeric: { enabled: bool(numeric.enabled, true, `${key}.numeric.enabled`) },
  }
}

// Authenticator apps show the issuer before the account; a colon would split the otpauth label (Key URI Format).
const ISSUER = /^[^:\u0000-\u001f\u007f]{1,64}$/

function mfaSettings(value: Record<string, unknown>): MfaSettings {
  const issuer = value.issuer
  if (typeof issuer !== 'string' || !ISSUER.test(issuer) || issuer.trim() !== issuer || issuer === '') {
    throw new ImproperlyConfigured('"mfa.issuer" must be 1 to 64 characters without a colon or control characters')
  }
  const keys = value.keys
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new ImproperlyConfigured('"mfa.keys" must be a list of strings')
  }
  for (const [index, key] of (keys).entries()) {
    if (Buffer.byteLength(key, 'utf8') < MIN_HMAC_KEY_BYTES) {
      throw new ImproperlyConfigured(`"mfa.keys[${index}]" is too short: a key must be at least ${MIN_HMAC_KEY_BYTES} bytes`)
    }
  }
  const failures = value.failuresPerUser
  if (typeof failures !== 'number' || !Number.isSafeInteger(failures) || failures < 1) {
    throw new ImproperlyConfigured('"mfa.failuresPerUser" must be a whole number greater than zero')
  }
  const lifetime = positive(value.tokenLifetime as Duration, 'mfa.tokenLifetime')
  // The second step is typed in from an app within minutes; a long-lived half-login is only a target.
  if (lifetime > 900) throw new ImproperlyConfigured(`"mfa.tokenLifetime" must be at most 900 seconds (got ${lifetime})`)
  return { issuer, keys: [...(keys)], failuresPerUser: failures, tokenLifetime: lifetime }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
