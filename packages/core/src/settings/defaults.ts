// The one defaults table (simplejwt's `DEFAULTS`), and the constants it is built from.
import type { User } from '../user.js'
import { type SigningKey } from '../tokens/keys.js'
import type { PasswordUserAttribute } from '../passwords/validators.js'
import type { AuthSettings, LegacyCookie } from './types.js'
/** Minimum HMAC key length in bytes (RFC 7518 §3.2: a key of the same size as the hash output). */
export const MIN_HMAC_KEY_BYTES = 32

/** Default access-token lifetime in seconds. */
export const DEFAULT_ACCESS_TOKEN_LIFETIME = 300
/** Default refresh-token lifetime in seconds. */
export const DEFAULT_REFRESH_TOKEN_LIFETIME = 86400
/** Django's `CSRF_COOKIE_AGE`: one year in seconds. */
export const DEFAULT_CSRF_COOKIE_AGE = 31449600

const cookie = {
  domain: null,
  secure: false,
  httpOnly: true,
  sameSite: 'Lax',
  partitioned: false,
} as const

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
    required: 'none',
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
