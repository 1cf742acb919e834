import type { UserId } from './user-table.js'

/**
 * A user row, with Django's `auth_user` fields in camelCase. `id` is a number (Django's AutoField) or, for a user
 * table with `idType: 'uuid'`, the lower-case hyphenated UUID.
 */
export interface User {
  readonly id: UserId
  readonly username: string
  readonly email: string
  readonly firstName: string
  readonly lastName: string
  readonly isStaff: boolean
  readonly isSuperuser: boolean
  readonly isActive: boolean
  readonly dateJoined: Date
  readonly lastLogin: Date | null
  /** The encoded password hash (Django format, or a bcrypt/argon2 PHC string). Never serialised to a client. */
  readonly password: string
}

/** The user as the API returns it: DRF field names, no password. */
export interface PublicUser {
  id: UserId
  username: string
  email: string
  first_name: string
  last_name: string
  is_staff: boolean
  is_superuser: boolean
  date_joined: string
  last_login: string | null
}

/** Renders a user for the wire; the password hash is never included. */
export function toPublicUser(user: User): PublicUser {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    is_staff: user.isStaff,
    is_superuser: user.isSuperuser,
    date_joined: user.dateJoined.toISOString(),
    last_login: user.lastLogin ? user.lastLogin.toISOString() : null,
  }
}
