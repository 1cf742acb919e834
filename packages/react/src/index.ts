export { ACCOUNT_PATHS, createAccountsApi, useAccounts } from './accounts.js'
export { AuthContext, AuthProvider } from './auth-provider.js'
export { createAuthClient, DEFAULT_PATHS } from './client.js'
export { readCookie } from './cookies.js'
export { ApiError, MfaRequiredError, parseRetryAfter, toApiError } from './errors.js'
export { useAuth } from './use-auth.js'
export { DEFAULT_ENROLLMENT_PATHS, DEFAULT_TOTP_PATHS, enrollmentApi, totpApi } from './mfa.js'
export { useTotp } from './use-totp.js'

export type { AccountsApi, RegisterInput, RegisterResult, ServerFeatures } from './accounts.js'
export type { AuthContextValue, AuthProviderProps, AuthStatus } from './auth-provider.js'
export type { AuthClient, AuthClientOptions, LockManagerLike, RequestOptions } from './client.js'
export type { FieldErrors } from './errors.js'
export type { AuthEvent, AuthPaths, User, UserPatch } from './types.js'
export type {
  EnrollmentApi,
  EnrollmentPaths,
  EnrollmentResult,
  TotpApi,
  TotpPaths,
  TotpSetup,
  TotpStatus,
} from './mfa.js'
export type { UseTotp } from './use-totp.js'
