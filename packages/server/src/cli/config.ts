import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  defineSettings,
  DEFAULT_SETTINGS,
  ImproperlyConfigured,
  toSeconds,
  type AuthSettings,
  type AuthSettingsInput,
  type TrustProxy,
} from '@cookiejwt/core'
import { checkPoolMax, DEFAULT_DATABASE_URL, DEFAULT_DB_POOL_MAX } from '../storage/db.js'
import { readKeysFile } from './keys-file.js'

/** Everything the CLI reads from the environment, resolved once. Only `src/cli/` reads `process.env`. */
export interface CliConfig {
  settings: AuthSettings
  databaseUrl: string
  /** Most PostgreSQL connections per process (`COOKIEJWT_DB_POOL_MAX`). */
  databasePoolMax: number
  host: string
  port: number
  staticRoot: string | null
  /** `settings.trustProxy`: false, a number of proxies, or true (every hop). */
  trustProxy: TrustProxy
  /** Set when the signing key was generated or read from the data folder (a warning is printed). */
  keyNotice: string | null
}

/** The repository root (packages/server/dist/cli → ../../../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')

/** Builds settings and runtime options from `env`; throws `ImproperlyConfigured` naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CliConfig {
  const production = env.NODE_ENV === 'production'
  let extra: AuthSettingsInput = {}
  if (env.COOKIEJWT_SETTINGS) {
    try {
      extra = JSON.parse(env.COOKIEJWT_SETTINGS) as AuthSettingsInput
    } catch {
      throw new ImproperlyConfigured('COOKIEJWT_SETTINGS must be a JSON object of settings')
    }
    if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
      throw new ImproperlyConfigured('COOKIEJWT_SETTINGS must be a JSON object of settings')
    }
  }
  const userTable = userTableFromEnv(env.COOKIEJWT_USER_TABLE)
  const dataDir = resolve(cwd, env.COOKIEJWT_DATA_DIR ?? 'data')
  // A key-set file (COOKIEJWT_KEYS_FILE) replaces the single key; an explicit COOKIEJWT_SIGNING_KEY beside it still
  // verifies tokens issued before the key set, so switching logs nobody out.
  const signingKeys = env.COOKIEJWT_KEYS_FILE
    ? readKeysFile(resolve(cwd, env.COOKIEJWT_KEYS_FILE)).map(
        ({ createdAt: _createdAt, ...k }) => k,
      )
    : undefined
  const { key, notice } = signingKeys
    ? { key: env.COOKIEJWT_SIGNING_KEY || env.SECRET_KEY || undefined, notice: null }
    : signingKey(env, dataDir)
  const trustProxy = trustProxyFromEnv(env.COOKIEJWT_TRUST_PROXY)
  const list = (value: string | undefined) =>
    value === undefined
      ? undefined
      : value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
  const corsOrigins = list(env.COOKIEJWT_CORS_ALLOWED_ORIGINS)
  const trustedOrigins = list(env.COOKIEJWT_CSRF_TRUSTED_ORIGINS)
  // Keys protecting TOTP secrets and backup codes, newest first (base64 or hex: never a comma in them).
  const mfaKeys = list(env.COOKIEJWT_MFA_KEYS)
  const secure = production ? { secure: true } : {}
  const port = Number(env.PORT ?? 8000)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ImproperlyConfigured(`PORT must be a port number (got ${env.PORT})`)
  const host = env.HOST || '127.0.0.1'
  const input: AuthSettingsInput = {
    ...extra,
    ...(key !== undefined ? { signingKey: key } : {}),
    ...(signingKeys ? { signingKeys } : {}),
    ...(trustProxy !== undefined ? { trustProxy } : {}),
    ...(env.COOKIEJWT_ACCESS_TOKEN_LIFETIME
      ? { accessTokenLifetime: duration(env.COOKIEJWT_ACCESS_TOKEN_LIFETIME) }
      : {}),
    ...(env.COOKIEJWT_REFRESH_TOKEN_LIFETIME
      ? { refreshTokenLifetime: duration(env.COOKIEJWT_REFRESH_TOKEN_LIFETIME) }
      : {}),
    ...(env.COOKIEJWT_PASSWORD_HASHER ? { passwordHasher: env.COOKIEJWT_PASSWORD_HASHER } : {}),
    ...(env.COOKIEJWT_SHUTDOWN_TIMEOUT
      ? { shutdownTimeout: duration(env.COOKIEJWT_SHUTDOWN_TIMEOUT) }
      : {}),
    authCookie: { ...secure, ...(extra.authCookie ?? {}) },
    refreshCookie: { ...secure, ...(extra.refreshCookie ?? {}) },
    csrf: {
      ...(production ? { cookieSecure: true } : {}),
      ...(extra.csrf ?? {}),
      ...(trustedOrigins ? { trustedOrigins } : {}),
    },
    cors: { ...(extra.cors ?? {}), ...(corsOrigins ? { allowedOrigins: corsOrigins } : {}) },
    ...(mfaKeys || env.COOKIEJWT_MFA_ISSUER || env.COOKIEJWT_MFA_REQUIRED
      ? {
          mfa: {
            ...(extra.mfa ?? {}),
            ...(mfaKeys ? { keys: mfaKeys } : {}),
            ...(env.COOKIEJWT_MFA_ISSUER ? { issuer: env.COOKIEJWT_MFA_ISSUER } : {}),
            // 'none', 'staff' or 'all'; anything else is refused by defineSettings, naming mfa.required.
            ...(env.COOKIEJWT_MFA_REQUIRED
              ? { required: env.COOKIEJWT_MFA_REQUIRED as 'none' | 'staff' | 'all' }
              : {}),
          },
        }
      : {}),
    ...accountSettings(env, extra, cwd, dataDir, host, port),
    ...(userTable ? { userTable } : {}),
  }
  const settings = defineSettings(input)
  const defaultStatic = join(REPO_ROOT, 'apps/web/dist')
  const staticRoot =
    env.COOKIEJWT_STATIC_ROOT !== undefined
      ? env.COOKIEJWT_STATIC_ROOT === ''
        ? null
        : resolve(cwd, env.COOKIEJWT_STATIC_ROOT)
      : existsSync(defaultStatic)
        ? defaultStatic
        : null
  return {
    settings,
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    databasePoolMax: poolMax(env.COOKIEJWT_DB_POOL_MAX),
    host,
    port,
    staticRoot,
    trustProxy: settings.trustProxy,
    keyNotice: notice,
  }
}

/**
 * `COOKIEJWT_TRUST_PROXY`: `true`, `false`, or how many proxies stand in front of the server (`1` for one nginx: the
 * right-most `X-Forwarded-For` entry is the client). Unset or empty: the settings decide.
 */
function trustProxyFromEnv(value: string | undefined): TrustProxy | undefined {
  if (value === undefined || value === '') return undefined
  const word = value.trim().toLowerCase()
  if (word === 'true') return true
  if (word === 'false') return false
  if (/^\d{1,6}$/.test(word)) return Number(word)
  throw new ImproperlyConfigured(
    `COOKIEJWT_TRUST_PROXY must be true, false or the number of proxies in front of the server (1, 2, …), got ${JSON.stringify(value)}`,
  )
}

/** `COOKIEJWT_USER_TABLE`: the `userTable` setting as JSON (it replaces one given in COOKIEJWT_SETTINGS). */
function userTableFromEnv(value: string | undefined): AuthSettingsInput['userTable'] | undefined {
  if (value === undefined || value === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    parsed = undefined
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ImproperlyConfigured(
      `COOKIEJWT_USER_TABLE must be a JSON object like {"table":"users","columns":{"password":"password_hash"}}`,
    )
  }
  return parsed
}

function poolMax(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_DB_POOL_MAX
  // Digits only: Number() would also take '1e2', '0x10' or ' 5 '.
  return checkPoolMax(/^\d{1,9}$/.test(value) ? Number(value) : value, 'COOKIEJWT_DB_POOL_MAX')
}

/**
 * COOKIEJWT_REGISTRATION, _EMAIL_VERIFICATION, _FRONTEND_URL and the email variables. Links in emails point at the
 * server itself unless COOKIEJWT_FRONTEND_URL says otherwise; the file backend writes into <data dir>/emails.
 */
function accountSettings(
  env: NodeJS.ProcessEnv,
  extra: AuthSettingsInput,
  cwd: string,
  dataDir: string,
  host: string,
  port: number,
): AuthSettingsInput {
  const out: { -readonly [K in keyof AuthSettingsInput]: AuthSettingsInput[K] } = {}
  if (env.COOKIEJWT_REGISTRATION !== undefined) {
    const value = env.COOKIEJWT_REGISTRATION.trim().toLowerCase()
    if (!['true', 'false', '1', '0'].includes(value)) {
      throw new ImproperlyConfigured(
        `COOKIEJWT_REGISTRATION must be true or false (got ${JSON.stringify(env.COOKIEJWT_REGISTRATION)})`,
      )
    }
    out.registration = value === 'true' || value === '1'
  }
  if (env.COOKIEJWT_EMAIL_VERIFICATION !== undefined) {
    const value = env.COOKIEJWT_EMAIL_VERIFICATION.trim()
    if (value !== 'mandatory' && value !== 'optional' && value !== 'none') {
      throw new ImproperlyConfigured(
        `COOKIEJWT_EMAIL_VERIFICATION must be mandatory, optional or none (got ${JSON.stringify(env.COOKIEJWT_EMAIL_VERIFICATION)})`,
      )
    }
    out.emailVerification = value
  }
  const fromEnv = env.COOKIEJWT_FRONTEND_URL?.trim()
  if (fromEnv) out.frontendUrl = fromEnv
  else if (extra.frontendUrl === undefined || extra.frontendUrl === null) {
    const shown =
      host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
    out.frontendUrl = `http://${shown}:${port}`
  }
  const backend = env.COOKIEJWT_EMAIL_BACKEND?.trim()
  if (backend !== undefined && backend !== 'smtp' && backend !== 'console' && backend !== 'file') {
    throw new ImproperlyConfigured(
      `COOKIEJWT_EMAIL_BACKEND must be smtp, console or file (got ${JSON.stringify(backend)})`,
    )
  }
  if (env.COOKIEJWT_EMAIL_URL !== undefined && !/^smtps?:\/\//.test(env.COOKIEJWT_EMAIL_URL)) {
    // Never echo the value: it may carry the SMTP password.
    throw new ImproperlyConfigured(
      'COOKIEJWT_EMAIL_URL must look like smtp://user:password@host:port (or smtps://)',
    )
  }
  const filePath = env.COOKIEJWT_EMAIL_FILE_PATH
    ? resolve(cwd, env.COOKIEJWT_EMAIL_FILE_PATH)
    : extra.email?.filePath !== undefined
      ? resolve(cwd, extra.email.filePath)
      : join(dataDir, 'emails')
  out.email = {
    ...(extra.email ?? {}),
    filePath,
    ...(backend ? { backend } : {}),
    ...(env.COOKIEJWT_EMAIL_URL ? { url: env.COOKIEJWT_EMAIL_URL } : {}),
    // An SMTP URL alone means "send over SMTP" (the default backend writes files).
    ...(env.COOKIEJWT_EMAIL_URL && !backend && extra.email?.backend === undefined
      ? { backend: 'smtp' as const }
      : {}),
    ...(env.COOKIEJWT_EMAIL_FROM ? { from: env.COOKIEJWT_EMAIL_FROM } : {}),
    ...(env.COOKIEJWT_EMAIL_TEMPLATES_DIR
      ? { templatesDir: resolve(cwd, env.COOKIEJWT_EMAIL_TEMPLATES_DIR) }
      : {}),
  }
  return out
}

/**
 * `shutdownTimeout` in seconds from `env` alone, for the cluster primary (which loads no key and no other setting).
 * A bad value gives the default here: the workers load the full configuration and report it.
 */
export function loadShutdownTimeout(env: NodeJS.ProcessEnv = process.env): number {
  let value: unknown = env.COOKIEJWT_SHUTDOWN_TIMEOUT
    ? duration(env.COOKIEJWT_SHUTDOWN_TIMEOUT)
    : undefined
  if (value === undefined && env.COOKIEJWT_SETTINGS) {
    try {
      value = (JSON.parse(env.COOKIEJWT_SETTINGS) as { shutdownTimeout?: unknown } | null)
        ?.shutdownTimeout
    } catch {
      value = undefined
    }
  }
  try {
    return value === undefined
      ? DEFAULT_SETTINGS.shutdownTimeout
      : toSeconds(value as string | number, 'shutdownTimeout')
  } catch {
    return DEFAULT_SETTINGS.shutdownTimeout
  }
}

function duration(value: string): string | number {
  return /^\d+$/.test(value) ? Number(value) : value
}

function signingKey(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): { key: string; notice: string | null } {
  const fromEnv = env.COOKIEJWT_SIGNING_KEY || env.SECRET_KEY
  if (fromEnv) return { key: fromEnv, notice: null }
  const file = join(dataDir, 'signing_key')
  if (existsSync(file)) {
    return {
      key: readFileSync(file, 'utf8').trim(),
      notice: `using the signing key stored in ${file} (set COOKIEJWT_SIGNING_KEY to choose one)`,
    }
  }
  mkdirSync(dataDir, { recursive: true })
  const key = randomBytes(48).toString('base64url')
  // 0600: the key signs every token; only the owner may read it. `wx` never overwrites a key another process wrote.
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST')
      return { key: readFileSync(file, 'utf8').trim(), notice: null }
    throw error
  }
  chmodSync(file, 0o600)
  return {
    key,
    notice: `no COOKIEJWT_SIGNING_KEY set: generated a random signing key and stored it in ${file} (mode 0600)`,
  }
}
