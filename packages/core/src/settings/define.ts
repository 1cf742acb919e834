// defineSettings: the input merged over the defaults table, every key validated, the result frozen.
import { ImproperlyConfigured } from '../errors.js'
import { toSeconds } from '../durations.js'
import {
  ALGORITHMS,
  checkKeyMaterial,
  isHmacAlgorithm,
  normalizeSigningKeys,
} from '../tokens/keys.js'
import { userTableSettings } from '../user-table.js'
import type { AuthSettings, AuthSettingsInput } from './types.js'
import { DEFAULT_SETTINGS, MIN_HMAC_KEY_BYTES } from './defaults.js'
import {
  MAX_REFRESH_GRACE_WINDOW,
  bool,
  cookieName,
  deepFreeze,
  emailSettings,
  fn,
  frontendUrl,
  headerName,
  legacyCookies,
  maxSeconds,
  mfaSettings,
  name,
  nullableString,
  oneOf,
  origins,
  partitioned,
  passwordValidators,
  path,
  pick,
  positive,
  prefixedCookie,
  rejectUnknownKeys,
  sameSite,
  stringList,
  throttleSettings,
  trustProxy,
} from './checks.js'
/**
 * Validates settings, fills in defaults and freezes the result. Throws `ImproperlyConfigured` naming the bad key.
 * @example defineSettings({ signingKey: process.env.COOKIEJWT_SIGNING_KEY, accessTokenLifetime: '10m' })
 */
export function defineSettings(input: AuthSettingsInput): AuthSettings {
  if (input === null || typeof input !== 'object')
    throw new ImproperlyConfigured('settings must be an object')
  rejectUnknownKeys(input, DEFAULT_SETTINGS, '')
  const d = DEFAULT_SETTINGS
  const i = input as Record<string, unknown> & AuthSettingsInput

  const algorithm = pick(i.algorithm, d.algorithm, 'algorithm')
  if (!ALGORITHMS.includes(algorithm)) {
    throw new ImproperlyConfigured(
      `"algorithm" must be one of ${ALGORITHMS.join(', ')} (got ${JSON.stringify(algorithm)})`,
    )
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
    const derived = checkKeyMaterial(
      algorithm,
      signingKey,
      isHmacAlgorithm(algorithm) ? null : verifyingKey,
      'signingKey',
      MIN_HMAC_KEY_BYTES,
    )
    if (!isHmacAlgorithm(algorithm)) verifyingKey = derived
  }

  const prefix =
    i.cookiePrefix === undefined || i.cookiePrefix === null
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
    accessTokenLifetime: positive(
      i.accessTokenLifetime ?? d.accessTokenLifetime,
      'accessTokenLifetime',
    ),
    refreshTokenLifetime: positive(
      i.refreshTokenLifetime ?? d.refreshTokenLifetime,
      'refreshTokenLifetime',
    ),
    slidingTokenLifetime: positive(
      i.slidingTokenLifetime ?? d.slidingTokenLifetime,
      'slidingTokenLifetime',
    ),
    slidingTokenRefreshLifetime: positive(
      i.slidingTokenRefreshLifetime ?? d.slidingTokenRefreshLifetime,
      'slidingTokenRefreshLifetime',
    ),
    rotateRefreshTokens: bool(i.rotateRefreshTokens, d.rotateRefreshTokens, 'rotateRefreshTokens'),
    blacklistAfterRotation: bool(
      i.blacklistAfterRotation,
      d.blacklistAfterRotation,
      'blacklistAfterRotation',
    ),
    updateLastLogin: bool(i.updateLastLogin, d.updateLastLogin, 'updateLastLogin'),
    authHeaderTypes: stringList(
      i.authHeaderTypes ?? d.authHeaderTypes,
      'authHeaderTypes',
      /^[A-Za-z0-9._~+-]+$/,
    ),
    authHeaderName: headerName(
      i.authHeaderName ?? d.authHeaderName,
      'authHeaderName',
    ).toLowerCase(),
    userIdField: oneOf(i.userIdField ?? d.userIdField, ['id', 'username'] as const, 'userIdField'),
    userIdClaim: name(i.userIdClaim ?? d.userIdClaim, 'userIdClaim'),
    tokenTypeClaim: name(i.tokenTypeClaim ?? d.tokenTypeClaim, 'tokenTypeClaim'),
    jtiClaim: name(i.jtiClaim ?? d.jtiClaim, 'jtiClaim'),
    userAuthenticationRule: fn(
      i.userAuthenticationRule ?? d.userAuthenticationRule,
      'userAuthenticationRule',
    ),
    statelessUser: bool(i.statelessUser, d.statelessUser, 'statelessUser'),
    authCookie: prefixedCookie(
      prefix,
      { ...d.authCookie, ...(i.authCookie ?? {}) },
      i.authCookie,
      'authCookie',
    ),
    refreshCookie: prefixedCookie(
      prefix,
      { ...d.refreshCookie, ...(i.refreshCookie ?? {}) },
      i.refreshCookie,
      'refreshCookie',
    ),
    csrf: {
      cookieName: cookieName(csrfInput.cookieName, 'csrf.cookieName'),
      headerName: headerName(csrfInput.headerName, 'csrf.headerName'),
      cookieAge: positive(csrfInput.cookieAge, 'csrf.cookieAge'),
      cookiePath: path(csrfInput.cookiePath, 'csrf.cookiePath'),
      cookieDomain: nullableString(csrfInput.cookieDomain, 'csrf.cookieDomain'),
      cookieSecure: bool(csrfInput.cookieSecure, false, 'csrf.cookieSecure'),
      cookieSameSite: sameSite(
        csrfInput.cookieSameSite,
        csrfInput.cookieSecure,
        'csrf.cookieSameSite',
      ),
      cookiePartitioned: partitioned(
        csrfInput.cookiePartitioned,
        csrfInput.cookieSecure,
        'csrf.cookiePartitioned',
      ),
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
    refreshGraceWindow: maxSeconds(
      i.refreshGraceWindow ?? d.refreshGraceWindow,
      'refreshGraceWindow',
      MAX_REFRESH_GRACE_WINDOW,
    ),
    revocationChecks: bool(i.revocationChecks, d.revocationChecks, 'revocationChecks'),
    revocationCacheTtl: maxSeconds(
      i.revocationCacheTtl ?? d.revocationCacheTtl,
      'revocationCacheTtl',
      60,
    ),
    sessionMaxLifetime:
      i.sessionMaxLifetime === null
        ? null
        : positive(i.sessionMaxLifetime ?? d.sessionMaxLifetime, 'sessionMaxLifetime'),
    reauthWindow: toSeconds(i.reauthWindow ?? d.reauthWindow, 'reauthWindow'),
    hstsMaxAge: i.hstsMaxAge === null ? null : positive(i.hstsMaxAge ?? d.hstsMaxAge, 'hstsMaxAge'),
    throttle: throttleSettings({ ...d.throttle, ...(i.throttle ?? {}) }),
    mfa: mfaSettings({ ...d.mfa, ...(i.mfa ?? {}) }),
    cookiePrefix: prefix,
    legacyCookies: legacyCookies(i.legacyCookies ?? d.legacyCookies),
    trustProxy: trustProxy(i.trustProxy, d.trustProxy, 'trustProxy'),
    diagnostics: bool(i.diagnostics, d.diagnostics, 'diagnostics'),
    apiDocs:
      i.apiDocs === undefined || i.apiDocs === null ? null : bool(i.apiDocs, false, 'apiDocs'),
    registration: bool(i.registration, d.registration, 'registration'),
    emailVerification: oneOf(
      i.emailVerification ?? d.emailVerification,
      ['mandatory', 'optional', 'none'] as const,
      'emailVerification',
    ),
    frontendUrl: frontendUrl(i.frontendUrl),
    emailVerificationLifetime: positive(
      i.emailVerificationLifetime ?? d.emailVerificationLifetime,
      'emailVerificationLifetime',
    ),
    passwordResetTimeout: positive(
      i.passwordResetTimeout ?? d.passwordResetTimeout,
      'passwordResetTimeout',
    ),
    passwordResetUnknownAccounts: bool(
      i.passwordResetUnknownAccounts,
      d.passwordResetUnknownAccounts,
      'passwordResetUnknownAccounts',
    ),
    email: emailSettings({ ...d.email, ...(i.email ?? {}) }),
    shutdownTimeout: maxSeconds(
      positive(i.shutdownTimeout ?? d.shutdownTimeout, 'shutdownTimeout'),
      'shutdownTimeout',
      3600,
    ),
    userTable: userTableSettings(
      i.userTable,
      d.userTable,
      name(i.passwordHasher ?? d.passwordHasher, 'passwordHasher'),
    ),
  }
  for (const legacy of settings.legacyCookies) {
    for (const c of [settings.authCookie, settings.refreshCookie]) {
      if (legacy.name === c.name && legacy.path === c.path && legacy.domain === c.domain) {
        throw new ImproperlyConfigured(
          `"legacyCookies" lists the current ${c.name} cookie; clearing it would log everyone out`,
        )
      }
    }
  }
  if (settings.authCookie.name === settings.refreshCookie.name) {
    throw new ImproperlyConfigured('"authCookie.name" and "refreshCookie.name" must differ')
  }
  return deepFreeze(settings)
}
