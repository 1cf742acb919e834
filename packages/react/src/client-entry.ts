// The React-free entry: `import { createAuthClient } from '@cookiejwt/react/client'`.
export { createAuthClient, DEFAULT_PATHS } from './client.js'
export { readCookie } from './cookies.js'
export { ApiError, MfaRequiredError, parseRetryAfter, toApiError } from './errors.js'

export type { AuthClient, AuthClientOptions, LockManagerLike, RequestOptions } from './client.js'
export type { FieldErrors } from './errors.js'
export type { AuthEvent, AuthPaths, User, UserPatch } from './types.js'
