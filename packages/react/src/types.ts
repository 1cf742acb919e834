/** The user as the API returns it (`GET /api/auth/me/`); never includes a password hash. */
export interface User {
  id: number | string
  username: string
  email: string
  first_name: string
  last_name: string
  is_staff: boolean
  is_superuser: boolean
  date_joined: string
  last_login: string | null
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
