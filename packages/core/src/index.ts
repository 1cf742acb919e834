export {
  AuthError,
  ImproperlyConfigured,
  ServiceUnavailableError,
  ValidationError,
} from './errors.js'
export type { AuthErrorCode } from './errors.js'
export { toSeconds } from './durations.js'
export type { Duration } from './durations.js'
export {
  defineSettings,
  DEFAULT_SETTINGS,
  DEFAULT_ACCESS_TOKEN_LIFETIME,
  DEFAULT_REFRESH_TOKEN_LIFETIME,
  DEFAULT_CSRF_COOKIE_AGE,
  MIN_HMAC_KEY_BYTES,
} from './settings.js'
export type {
  Algorithm,
  AuthSettings,
  AuthSettingsInput,
  CookiePrefix,
  CookieSettings,
  CorsSettings,
  LegacyCookie,
  CsrfSettings,
  EmailBackendName,
  EmailSettings,
  EmailVerification,
  SameSite,
  ThrottleSettings,
  TrustProxy,
  MfaRequired,
  MfaSettings,
} from './settings.js'
export { isDefaultUserTable, parseUserId, userTableSettings } from './user-table.js'
export type {
  ActiveStatus,
  UserId,
  UserIdType,
  UserTableColumns,
  UserTableInput,
  UserTableSettings,
} from './user-table.js'
export { toPublicUser } from './user.js'
export type { PublicUser, User } from './user.js'
export { DuplicateUserError } from './storage.js'
export type { NewUser, OutstandingToken, TokenStore, UserPatch, UserStore } from './storage.js'
export { MAX_TOKEN_LENGTH, MAX_TIME_CLAIM, NO_COPY_CLAIMS, isTimeClaim } from './tokens/claims.js'
export type { TokenPayload, TokenType, VerifiedToken } from './tokens/claims.js'
export { FORBIDDEN_HEADERS, getPublicJwks, getTokenCodec } from './tokens/codec.js'
export {
  ALGORITHMS,
  MIN_RSA_BITS,
  checkKeyMaterial,
  generateSigningKey,
  isHmacAlgorithm,
  jwkThumbprint,
  newKid,
  normalizeSigningKeys,
  toPublicJwk,
} from './tokens/keys.js'
export type {
  AsymmetricAlgorithm,
  HmacAlgorithm,
  KeySetFile,
  PublicJwk,
  SigningKey,
  SigningKeyInput,
} from './tokens/keys.js'
export { checkOriginList, compileOrigins, isOriginPattern } from './origins.js'
export type { OriginMatcher } from './origins.js'
export type { TokenCodec } from './tokens/codec.js'
export {
  AUTH_TIME_CLAIM,
  copyableClaims,
  issueAccessTokenFromRefresh,
  issueRotatedRefreshToken,
  issueToken,
  issueTokenPair,
  newJti,
} from './tokens/issue.js'
export type { FixedIdentity, IssueOptions, IssuedToken, TokenPair } from './tokens/issue.js'
export { verifyAccessToken, verifyRefreshToken, verifyToken } from './tokens/verify.js'
export type { VerifyOptions } from './tokens/verify.js'
export {
  MAX_COOKIE_BYTES,
  MFA_COOKIE_NAME,
  MFA_COOKIE_PATH,
  mfaCookieSettings,
  serializeClearedMfaCookie,
  serializeMfaCookie,
  serializeAccessCookie,
  serializeClearedAccessCookie,
  serializeClearedAuthCookies,
  serializeClearedLegacyCookies,
  serializeCsrfCookie,
  serializeRefreshCookie,
} from './cookies.js'
export {
  CSRF_ALLOWED_CHARS,
  CSRF_REASONS,
  CSRF_SECRET_LENGTH,
  CSRF_TOKEN_LENGTH,
  checkCsrfToken,
  csrfSecretFromCookie,
  generateCsrfSecret,
  isCsrfTokenFormat,
  isTrustedOrigin,
  maskCsrfSecret,
  unmaskCsrfToken,
} from './csrf.js'
export {
  authenticateRequest,
  enforceCsrf,
  enforceTrustedOrigin,
  getRawToken,
  isUnsafeMethod,
  loadUser,
} from './authenticate.js'
export type { Authentication, AuthenticateDeps, AuthRequest, TokenUser } from './authenticate.js'
export { MAX_PASSWORD_LENGTH, validatePassword } from './passwords/validators.js'
export type {
  PasswordContext,
  PasswordUserAttribute,
  PasswordValidatorSettings,
} from './passwords/validators.js'
export { DEFAULT_PASSWORD_LIST_PATH, loadPasswordList } from './passwords/common-passwords.js'
export { quickRatio } from './passwords/similarity.js'
export { createPasswordHashers, fromPhcHash, toPhcHash } from './hashers/index.js'
export type { PasswordHasher, PasswordHasherOptions, PasswordHashers } from './hashers/index.js'
