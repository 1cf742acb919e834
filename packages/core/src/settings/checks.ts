// Over 300 lines on purpose: one small validator per kind of key, kept side by side so each rule is found in one place.
// The validators `defineSettings` runs on each key; each throws ImproperlyConfigured naming the key.
import { ImproperlyConfigured } from '../errors.js'
import { toSeconds, type Duration } from '../durations.js'
import { checkOriginList } from '../origins.js'
import { existsSync } from 'node:fs'
import type { PasswordUserAttribute, PasswordValidatorSettings } from '../passwords/validators.js'
import type {
  AuthSettingsInput,
  CookiePrefix,
  CookieSettings,
  EmailSettings,
  LegacyCookie,
  MfaSettings,
  SameSite,
  ThrottleSettings,
  TrustProxy,
} from './types.js'
import { DEFAULT_SETTINGS, MIN_HMAC_KEY_BYTES } from './defaults.js'
export const SAME_SITES: readonly unknown[] = ['Lax', 'Strict', 'None', false]
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Keys of the seed / simplejwt that people paste; each names its replacement. */
export const RENAMED_KEYS: Record<string, string> = {
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

export function rejectUnknownKeys(
  input: Record<string, unknown>,
  defaults: object,
  prefix: string,
): void {
  for (const key of Object.keys(input)) {
    if (prefix === '' && key === 'signingKey') continue
    const renamed = RENAMED_KEYS[key]
    if (renamed)
      throw new ImproperlyConfigured(`unknown setting "${prefix}${key}": use "${renamed}"`)
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

export function pick<T>(value: T | undefined, fallback: T, _key: string): T {
  return value === undefined ? fallback : value
}

export function bool(value: unknown, fallback: boolean, key: string): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new ImproperlyConfigured(`"${key}" must be true or false`)
  return value
}

/** `trustProxy`: true, false, or a whole number of proxies (0 is false). */
export function trustProxy(value: unknown, fallback: TrustProxy, key: string): TrustProxy {
  if (value === undefined) return fallback
  if (typeof value === 'boolean') return value
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
    return value === 0 ? false : value
  const got = typeof value === 'number' ? String(value) : JSON.stringify(value)
  throw new ImproperlyConfigured(
    `"${key}" must be true, false or the number of proxies in front of the server (got ${got})`,
  )
}

export function positive(value: Duration, key: string): number {
  const seconds = toSeconds(value, key)
  if (seconds <= 0) throw new ImproperlyConfigured(`"${key}" must be greater than zero`)
  return seconds
}

export function nullableString(value: unknown, key: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.length === 0)
    throw new ImproperlyConfigured(`"${key}" must be a non-empty string or null`)
  return value
}

export function name(value: unknown, key: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(value)) {
    throw new ImproperlyConfigured(`"${key}" must be a name of letters, digits and underscores`)
  }
  return value
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], key: string): T {
  if (!allowed.includes(value as T))
    throw new ImproperlyConfigured(`"${key}" must be one of ${allowed.join(', ')}`)
  return value as T
}

export function fn<T>(value: T, key: string): T {
  if (typeof value !== 'function') throw new ImproperlyConfigured(`"${key}" must be a function`)
  return value
}

export function stringList(value: unknown, key: string, pattern: RegExp): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((v) => typeof v === 'string' && pattern.test(v))
  ) {
    throw new ImproperlyConfigured(`"${key}" must be a non-empty list of names`)
  }
  return [...value]
}

export function headerName(value: unknown, key: string): string {
  if (typeof value !== 'string' || !HEADER_NAME.test(value))
    throw new ImproperlyConfigured(`"${key}" must be an HTTP header name`)
  return value
}

export function cookieName(value: unknown, key: string): string {
  if (typeof value !== 'string' || !COOKIE_NAME.test(value))
    throw new ImproperlyConfigured(`"${key}" must be a valid cookie name`)
  return value
}

export function path(value: unknown, key: string): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    /[;\s\u0000-\u001f\u007f]/.test(value)
  ) {
    throw new ImproperlyConfigured(`"${key}" must be a path starting with "/"`)
  }
  return value
}

export function sameSite(value: unknown, secure: unknown, key: string): SameSite {
  if (!SAME_SITES.includes(value))
    throw new ImproperlyConfigured(`"${key}" must be 'Lax', 'Strict', 'None' or false`)
  // Browsers drop SameSite=None cookies that are not Secure (RFC 6265bis §5.6.19).
  if (value === 'None' && secure !== true) {
    throw new ImproperlyConfigured(
      `"${key}" is 'None' but the cookie is not Secure: browsers reject such cookies`,
    )
  }
  return value as SameSite
}

export function cookieSettings(value: Record<string, unknown>, key: string): CookieSettings {
  const secure = bool(value.secure, false, `${key}.secure`)
  const name = cookieName(value.name, `${key}.name`)
  const domain = nullableString(value.domain, `${key}.domain`)
  const cookiePath = path(value.path, `${key}.path`)
  // Browsers reject prefixed cookies whose attributes break the prefix's rules (RFC 6265bis §4.1.3).
  if ((name.startsWith('__Secure-') || name.startsWith('__Host-')) && !secure) {
    throw new ImproperlyConfigured(
      `"${key}.name" starts with ${name.split('-')[0]}- so "${key}.secure" must be true`,
    )
  }
  if (name.startsWith('__Host-') && (domain !== null || cookiePath !== '/')) {
    throw new ImproperlyConfigured(
      `"${key}.name" starts with __Host- so "${key}.path" must be '/' and "${key}.domain" null`,
    )
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

export function partitioned(value: unknown, secure: unknown, key: string): boolean {
  const on = bool(value, false, key)
  // CHIPS: browsers ignore `Partitioned` on a cookie that is not Secure.
  if (on && secure !== true)
    throw new ImproperlyConfigured(
      `"${key}" is true but the cookie is not Secure: Partitioned requires Secure`,
    )
  return on
}

/**
 * Applies `cookiePrefix` to a JWT cookie: `__Host-` forces `Secure`, `Path=/` and no `Domain` (RFC 6265bis §4.1.3.2),
 * `__Secure-` forces `Secure`. An explicit setting that contradicts the prefix is an error, never silently changed.
 */
export function prefixedCookie(
  prefix: CookiePrefix | null,
  merged: Record<string, unknown>,
  given: Partial<CookieSettings> | undefined,
  key: string,
): CookieSettings {
  if (prefix === null) return cookieSettings(merged, key)
  if (given?.secure === false)
    throw new ImproperlyConfigured(`"cookiePrefix" is ${prefix} so "${key}.secure" cannot be false`)
  const name = String(merged.name)
  const out: Record<string, unknown> = {
    ...merged,
    secure: true,
    name: name.startsWith(prefix) ? name : `${prefix}${name}`,
  }
  if (prefix === '__Host-') {
    if (given?.domain != null)
      throw new ImproperlyConfigured(`"cookiePrefix" is __Host- so "${key}.domain" must be null`)
    if (given?.path !== undefined && given.path !== '/') {
      throw new ImproperlyConfigured(
        `"cookiePrefix" is __Host- so "${key}.path" must be '/' (or use '__Secure-')`,
      )
    }
    out.path = '/'
  }
  return cookieSettings(out, key)
}

export function legacyCookies(value: unknown): LegacyCookie[] {
  if (!Array.isArray(value))
    throw new ImproperlyConfigured('"legacyCookies" must be a list of { name, path, domain }')
  return value.map((entry, index) => {
    const key = `legacyCookies[${index}]`
    if (entry === null || typeof entry !== 'object')
      throw new ImproperlyConfigured(`"${key}" must be an object`)
    const e = entry as Record<string, unknown>
    for (const field of Object.keys(e)) {
      if (!['name', 'path', 'domain'].includes(field))
        throw new ImproperlyConfigured(`unknown setting "${key}.${field}"`)
    }
    return {
      name: cookieName(e.name, `${key}.name`),
      path: path(e.path ?? '/', `${key}.path`),
      domain: nullableString(e.domain, `${key}.domain`),
    }
  })
}

export function origins(value: unknown, key: string): string[] {
  return checkOriginList(value, key)
}

// A replayed refresh token older than this is a theft signal, not a concurrent tab (RFC 9700 §4.14.2).
export const MAX_REFRESH_GRACE_WINDOW = 9

export function maxSeconds(value: Duration, key: string, max: number): number {
  const seconds = toSeconds(value, key)
  if (seconds > max)
    throw new ImproperlyConfigured(`"${key}" must be at most ${max} seconds (got ${seconds})`)
  return seconds
}

export function throttleSettings(value: Record<string, unknown>): ThrottleSettings {
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

export function frontendUrl(value: unknown): string | null {
  if (value === undefined || value === null) return null
  let url: URL | null = null
  try {
    url = typeof value === 'string' ? new URL(value) : null
  } catch {
    url = null
  }
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search ||
    url.hash ||
    url.username
  ) {
    throw new ImproperlyConfigured(
      '"frontendUrl" must be an http(s) URL without query or fragment, e.g. https://app.example.com',
    )
  }
  return String(value).replace(/\/+$/, '')
}

// An address, optionally with a display name: `a@b`, `Name <a@b>`; no line breaks (header injection).
export const FROM_ADDRESS =
  /^(?:[^<>\r\n"]*(?:"[^"\r\n]*")?[^<>\r\n"]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/

export function emailSettings(value: Record<string, unknown>): EmailSettings {
  const backend = oneOf(value.backend, ['smtp', 'console', 'file'] as const, 'email.backend')
  const url = nullableString(value.url, 'email.url')
  if (url !== null) checkSmtpUrl(url)
  if (backend === 'smtp' && url === null) {
    throw new ImproperlyConfigured(
      '"email.backend" is smtp but "email.url" is not set (COOKIEJWT_EMAIL_URL=smtp://user:password@host:port)',
    )
  }
  const filePath = value.filePath
  if (typeof filePath !== 'string' || filePath.length === 0)
    throw new ImproperlyConfigured('"email.filePath" must be a folder path')
  const from = value.from
  if (typeof from !== 'string' || !FROM_ADDRESS.test(from.trim())) {
    throw new ImproperlyConfigured(
      '"email.from" must be an address like webmaster@example.com or "Name <webmaster@example.com>"',
    )
  }
  const templatesDir = nullableString(value.templatesDir, 'email.templatesDir')
  if (templatesDir !== null && !existsSync(templatesDir)) {
    throw new ImproperlyConfigured(
      `"email.templatesDir" names a folder that does not exist: ${templatesDir}`,
    )
  }
  const attempts = value.maxAttempts
  if (
    typeof attempts !== 'number' ||
    !Number.isSafeInteger(attempts) ||
    attempts < 1 ||
    attempts > 100
  ) {
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

export function checkSmtpUrl(value: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    // Never echo the value: it may carry the SMTP password.
    throw new ImproperlyConfigured(
      '"email.url" is not a URL; expected smtp://user:password@host:port or smtps://…',
    )
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ImproperlyConfigured(
      `"email.url" must start with smtp:// or smtps:// (got ${url.protocol}//)`,
    )
  }
  if (!url.hostname)
    throw new ImproperlyConfigured(
      '"email.url" has no host; expected smtp://user:password@host:port',
    )
  if (url.pathname.replace(/\/+$/, '') !== '' || url.hash) {
    throw new ImproperlyConfigured(
      '"email.url" must have no path or fragment; options go in the query (?requireTLS=true)',
    )
  }
}

export const USER_ATTRIBUTES: readonly PasswordUserAttribute[] = [
  'username',
  'firstName',
  'lastName',
  'email',
]

export function passwordValidators(
  input: NonNullable<AuthSettingsInput['passwordValidators']>,
): PasswordValidatorSettings {
  const d = DEFAULT_SETTINGS.passwordValidators
  const similarity = { ...d.userAttributeSimilarity, ...(input.userAttributeSimilarity ?? {}) }
  const length = { ...d.minimumLength, ...(input.minimumLength ?? {}) }
  const common = { ...d.commonPassword, ...(input.commonPassword ?? {}) }
  const numeric = { ...d.numeric, ...(input.numeric ?? {}) }
  const key = 'passwordValidators'
  const attributes = similarity.userAttributes as unknown
  if (
    !Array.isArray(attributes) ||
    !attributes.every((a) => USER_ATTRIBUTES.includes(a as PasswordUserAttribute))
  ) {
    throw new ImproperlyConfigured(
      `"${key}.userAttributeSimilarity.userAttributes" must list some of ${USER_ATTRIBUTES.join(', ')}`,
    )
  }
  const max = similarity.maxSimilarity
  // Django refuses a max_similarity below 0.1: nearly every password would be "too similar".
  if (typeof max !== 'number' || !(max >= 0.1)) {
    throw new ImproperlyConfigured(
      `"${key}.userAttributeSimilarity.maxSimilarity" must be a number of at least 0.1`,
    )
  }
  const minLength = length.minLength
  if (typeof minLength !== 'number' || !Number.isSafeInteger(minLength) || minLength < 1) {
    throw new ImproperlyConfigured(
      `"${key}.minimumLength.minLength" must be a whole number greater than zero`,
    )
  }
  const listPath = nullableString(common.passwordListPath, `${key}.commonPassword.passwordListPath`)
  if (listPath !== null && !existsSync(listPath)) {
    throw new ImproperlyConfigured(
      `"${key}.commonPassword.passwordListPath" names a file that does not exist: ${listPath}`,
    )
  }
  return {
    userAttributeSimilarity: {
      enabled: bool(similarity.enabled, true, `${key}.userAttributeSimilarity.enabled`),
      userAttributes: [...(attributes as PasswordUserAttribute[])],
      maxSimilarity: max,
    },
    minimumLength: {
      enabled: bool(length.enabled, true, `${key}.minimumLength.enabled`),
      minLength,
    },
    commonPassword: {
      enabled: bool(common.enabled, true, `${key}.commonPassword.enabled`),
      passwordListPath: listPath,
    },
    numeric: { enabled: bool(numeric.enabled, true, `${key}.numeric.enabled`) },
  }
}

// Authenticator apps show the issuer before the account; a colon would split the otpauth label (Key URI Format).
export const ISSUER = /^[^:\u0000-\u001f\u007f]{1,64}$/

export function mfaSettings(value: Record<string, unknown>): MfaSettings {
  const issuer = value.issuer
  if (
    typeof issuer !== 'string' ||
    !ISSUER.test(issuer) ||
    issuer.trim() !== issuer ||
    issuer === ''
  ) {
    throw new ImproperlyConfigured(
      '"mfa.issuer" must be 1 to 64 characters without a colon or control characters',
    )
  }
  const keys = value.keys
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new ImproperlyConfigured('"mfa.keys" must be a list of strings')
  }
  for (const [index, key] of keys.entries()) {
    if (Buffer.byteLength(key, 'utf8') < MIN_HMAC_KEY_BYTES) {
      throw new ImproperlyConfigured(
        `"mfa.keys[${index}]" is too short: a key must be at least ${MIN_HMAC_KEY_BYTES} bytes`,
      )
    }
  }
  const failures = value.failuresPerUser
  if (typeof failures !== 'number' || !Number.isSafeInteger(failures) || failures < 1) {
    throw new ImproperlyConfigured('"mfa.failuresPerUser" must be a whole number greater than zero')
  }
  const lifetime = positive(value.tokenLifetime as Duration, 'mfa.tokenLifetime')
  // The second step is typed in from an app within minutes; a long-lived half-login is only a target.
  if (lifetime > 900)
    throw new ImproperlyConfigured(
      `"mfa.tokenLifetime" must be at most 900 seconds (got ${lifetime})`,
    )
  const required = value.required
  if (required !== 'none' && required !== 'staff' && required !== 'all') {
    throw new ImproperlyConfigured(
      `"mfa.required" must be one of none, staff, all (got ${JSON.stringify(required) ?? String(required)})`,
    )
  }
  return { issuer, keys: [...keys], failuresPerUser: failures, tokenLifetime: lifetime, required }
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
