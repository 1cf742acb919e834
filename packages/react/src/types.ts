import type { PublicUser } from '@cookiejwt/core'

/**
 * The user as the API returns it (`GET /api/auth/me/`); never includes a password hash. The server's own type,
 * imported as a type only: the client's bundle carries no code of `@cookiejwt/core`.
 */
export interface User extends Omit<PublicUser, 'id'> {
  /** A number, or a string for user tables keyed by UUID. */
  id: number | string
}

/** The editable fields of `PATCH /api/auth/me/`. */
export type UserPatch = Partial<Pick<User, 'email' | 'first_name' | 'last_name'>> & {
  /** The user's password, when the server answered `reauthentication_required` (an email change after `reauthWindow`). */
  password?: string
}

/**
 * What happened to the session, in this tab or (via BroadcastChannel) in another tab of the same app.
 * `logout` also fires when a refresh fails because the session ended (`reason: 'expired'`).
 */
export type AuthEvent =
  | { type: 'login'; user: User; accessExpires?: string | null }
  | { type: 'logout'; reason: 'logout' | 'expired' }
  | { type: 'refresh'; accessExpires: string | null }
  | { type: 'user'; user: User }

/** API paths the client calls; each is appended to `baseUrl`. */
export interface AuthPaths {
  login: string
  logout: string
  refresh: string
  me: string
  csrf: string
  passwordChange: string
  /** The second login step (`POST {code}`). */
  loginMfa: string
}
