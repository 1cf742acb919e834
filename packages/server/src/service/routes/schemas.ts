/** JSON schemas shared by the routes. Strings refuse NUL characters, as DRF's CharField does. */
const NO_NUL = '^[^\\u0000]*$'

/** A required, non-blank string of at most `max` characters. */
export function requiredString(max: number) {
  return { type: 'string', minLength: 1, maxLength: max, pattern: NO_NUL } as const
}

/** An optional string (blank allowed) of at most `max` characters. */
export function optionalString(max: number) {
  return { type: 'string', maxLength: max, pattern: NO_NUL } as const
}

/** Longest username (Django's `auth_user.username`). */
export const USERNAME_MAX = 150
/** Longest password accepted before hashing. */
export const PASSWORD_MAX = 4096
/** Longest token accepted in a body. */
export const TOKEN_MAX = 4096

/** `{ username, password }` */
export const credentialsBody = {
  type: 'object',
  required: ['username', 'password'],
  properties: { username: requiredString(USERNAME_MAX), password: requiredString(PASSWORD_MAX) },
} as const

/** `{ refresh }` */
export const refreshBody = {
  type: 'object',
  required: ['refresh'],
  properties: { refresh: requiredString(TOKEN_MAX) },
} as const

/** `{ refresh? }` — the cookie flow may send the token in the body instead of the cookie. */
export const optionalRefreshBody = {
  type: ['object', 'null'],
  properties: { refresh: requiredString(TOKEN_MAX) },
} as const

/** `{ token }` */
export const verifyBody = {
  type: 'object',
  required: ['token'],
  properties: { token: requiredString(TOKEN_MAX) },
} as const

/** `{ email?, first_name?, last_name?, password? }` — the password re-authenticates an email change. */
export const profileBody = {
  type: 'object',
  properties: {
    email: optionalString(254),
    first_name: optionalString(150),
    last_name: optionalString(150),
    password: requiredString(PASSWORD_MAX),
  },
} as const

/** `{ password? }` or no body — the password re-authenticates a sensitive change (see `reauthWindow`). */
export const reauthBody = {
  type: ['object', 'null'],
  properties: { password: requiredString(PASSWORD_MAX) },
} as const

/** `{ old_password, new_password }` */
export const passwordChangeBody = {
  type: 'object',
  required: ['old_password', 'new_password'],
  properties: { old_password: requiredString(PASSWORD_MAX), new_password: requiredString(PASSWORD_MAX) },
} as const
