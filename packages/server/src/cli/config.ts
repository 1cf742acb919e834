import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineSettings, ImproperlyConfigured, type AuthSettings, type AuthSettingsInput } from '@cookiejwt/core'
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
  trustProxy: boolean
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
  const dataDir = resolve(cwd, env.COOKIEJWT_DATA_DIR ?? 'data')
  // A key-set file (COOKIEJWT_KEYS_FILE) replaces the single key; an explicit COOKIEJWT_SIGNING_KEY beside it still
  // verifies tokens issued before the key set, so switching logs nobody out.
  const signingKeys = env.COOKIEJWT_KEYS_FILE
    ? readKeysFile(resolve(cwd, env.COOKIEJWT_KEYS_FILE)).map(({ createdAt: _createdAt, ...k }) => k)
    : undefined
  const { key, notice } = signingKeys
    ? { key: env.COOKIEJWT_SIGNING_KEY || env.SECRET_KEY || undefined, notice: null }
    : signingKey(env, dataDir)
  const trustProxy = env.COOKIEJWT_TRUST_PROXY === '1' || env.COOKIEJWT_TRUST_PROXY === 'true'
  const list = (value: string | undefined) =>
    value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean)
  const corsOrigins = list(env.COOKIEJWT_CORS_ALLOWED_ORIGINS)
  const trustedOrigins = list(env.COOKIEJWT_CSRF_TRUSTED_ORIGINS)
  // Keys protecting TOTP secrets and backup codes, newest first (base64 or hex: never a comma in them).
  const mfaKeys = list(env.COOKIEJWT_MFA_KEYS)
  const secure = production ? { secure: true } : {}
  const input: AuthSettingsInput = {
    ...extra,
    ...(key !== undefined ? { signingKey: key } : {}),
    ...(signingKeys ? { signingKeys } : {}),
    ...(trustProxy ? { trustProxy } : {}),
    ...(env.COOKIEJWT_ACCESS_TOKEN_LIFETIME ? { accessTokenLifetime: duration(env.COOKIEJWT_ACCESS_TOKEN_LIFETIME) } : {}),
    ...(env.COOKIEJWT_REFRESH_TOKEN_LIFETIME ? { refreshTokenLifetime: duration(env.COOKIEJWT_REFRESH_TOKEN_LIFETIME) } : {}),
    ...(env.COOKIEJWT_PASSWORD_HASHER ? { passwordHasher: env.COOKIEJWT_PASSWORD_HASHER } : {}),
    authCookie: { ...secure, ...(extra.authCookie ?? {}) },
    refreshCookie: { ...secure, ...(extra.refreshCookie ?? {}) },
    csrf: {
      ...(production ? { cookieSecure: true } : {}),
      ...(extra.csrf ?? {}),
      ...(trustedOrigins ? { trustedOrigins } : {}),
    },
    cors: { ...(extra.cors ?? {}), ...(corsOrigins ? { allowedOrigins: corsOrigins } : {}) },
    ...(mfaKeys || env.COOKIEJWT_MFA_ISSUER
      ? {
          mfa: {
            ...(extra.mfa ?? {}),
            ...(mfaKeys ? { keys: mfaKeys } : {}),
            ...(env.COOKIEJWT_MFA_ISSUER ? { issuer: env.COOKIEJWT_MFA_ISSUER } : {}),
          },
        }
      : {}),
  }
  const settings = defineSettings(input)
  const port = Number(env.PORT ?? 8000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ImproperlyConfigured(`PORT must be a port number (got ${env.PORT})`)
  const defaultStatic = join(REPO_ROOT, 'apps/web/dist')
  const staticRoot = env.COOKIEJWT_STATIC_ROOT !== undefined
    ? env.COOKIEJWT_STATIC_ROOT === '' ? null : resolve(cwd, env.COOKIEJWT_STATIC_ROOT)
    : existsSync(defaultStatic) ? defaultStatic : null
  return {
    settings,
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    databasePoolMax: poolMax(env.COOKIEJWT_DB_POOL_MAX),
    host: env.HOST || '127.0.0.1',
    port,
    staticRoot,
    trustProxy: settings.trustProxy,
    keyNotice: notice,
  }
}

function poolMax(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_DB_POOL_MAX
  // Digits only: Number() would also take '1e2', '0x10' or ' 5 '.
  return checkPoolMax(/^\d{1,9}$/.test(value) ? Number(value) : value, 'COOKIEJWT_DB_POOL_MAX')
}

function duration(value: string): string | number {
  return /^\d+$/.test(value) ? Number(value) : value
}

function signingKey(env: NodeJS.ProcessEnv, dataDir: string): { key: string; notice: string | null } {
  const fromEnv = env.COOKIEJWT_SIGNING_KEY || env.SECRET_KEY
  if (fromEnv) return { key: fromEnv, notice: null }
  const file = join(dataDir, 'signing_key')
  if (existsSync(file)) {
    return { key: readFileSync(file, 'utf8').trim(), notice: `using the signing key stored in ${file} (set COOKIEJWT_SIGNING_KEY to choose one)` }
  }
  mkdirSync(dataDir, { recursive: true })
  const key = randomBytes(48).toString('base64url')
  // 0600: the key signs every token; only the owner may read it. `wx` never overwrites a key another process wrote.
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return { key: readFileSync(file, 'utf8').trim(), notice: null }
    throw error
  }
  chmodSync(file, 0o600)
  return { key, notice: `no COOKIEJWT_SIGNING_KEY set: generated a random signing key and stored it in ${file} (mode 0600)` }
}
