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
  properties: {
    old_password: requiredString(PASSWORD_MAX),
    new_password: requiredString(PASSWORD_MAX),
  },
} as const

/** Response schemas shared by the routes (documented in the OpenAPI document at `/api/schema/`). */
const TEXT = { type: 'string' } as const
const TIME = { type: 'string', format: 'date-time' } as const

/** The contract's User. */
export const userResponse = {
  type: 'object',
  required: [
    'id',
    'username',
    'email',
    'first_name',
    'last_name',
    'is_staff',
    'is_superuser',
    'date_joined',
    'last_login',
  ],
  properties: {
    id: { type: 'integer' },
    username: TEXT,
    email: TEXT,
    first_name: TEXT,
    last_name: TEXT,
    is_staff: { type: 'boolean' },
    is_superuser: { type: 'boolean' },
    date_joined: TIME,
    last_login: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

/** `{}` or any small object of the route's own. */
export const objectResponse = { type: 'object' } as const

/** `{ detail }`: a confirmation message. */
export const detailResponse = { type: 'object', properties: { detail: TEXT } } as const

/** A login's answer: the user and the cookies' expiry times, or `mfa_required` for a second step. */
export const loginResponse = {
  type: 'object',
  properties: {
    user: userResponse,
    access_expires: TIME,
    refresh_expires: TIME,
    mfa_required: { type: 'boolean' },
    access: TEXT,
    refresh: TEXT,
  },
} as const

/** A token pair (Bearer flow), or `mfa_required` with an `mfa_token`. */
export const pairResponse = {
  type: 'object',
  properties: { access: TEXT, refresh: TEXT, mfa_required: { type: 'boolean' }, mfa_token: TEXT },
} as const

/** The user's own sessions. */
export const sessionsResponse = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      id: TEXT,
      created_at: TIME,
      last_used_at: TIME,
      user_agent: TEXT,
      ip: TEXT,
      current: { type: 'boolean' },
    },
  },
} as const

/** No content. */
export const noContent = { description: 'No content' } as const
