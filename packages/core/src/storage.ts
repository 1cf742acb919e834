import type { UserId } from './user-table.js'
import type { User } from './user.js'

/** Fields needed to create a user; the password is already hashed. */
export interface NewUser {
  username: string
  email?: string
  firstName?: string
  lastName?: string
  isStaff?: boolean
  isSuperuser?: boolean
  isActive?: boolean
  password: string
}

/** Fields a user may change about themselves (and an admin about anyone). */
export interface UserPatch {
  email?: string
  firstName?: string
  lastName?: string
  isActive?: boolean
  isStaff?: boolean
  isSuperuser?: boolean
}

/** Where users live. Methods return `null`/`false` for "not found"; they throw only when storage fails. */
export interface UserStore {
  /** A user by primary key; null for an id that is not of the table's type. */
  findById(id: UserId): Promise<User | null>
  findByUsername(username: string): Promise<User | null>
  /** Creates a user; throws `DuplicateUserError` when the username is taken. */
  create(user: NewUser, now: Date): Promise<User>
  update(id: UserId, patch: UserPatch): Promise<User | null>
  setPassword(id: UserId, encoded: string): Promise<boolean>
  touchLastLogin(id: UserId, now: Date): Promise<void>
}

/** A refresh token as recorded (simplejwt's `OutstandingToken`). `tokenHash` is SHA-256 of the token, never the token. */
export interface OutstandingToken {
  jti: string
  userId: UserId | null
  tokenHash: string
  createdAt: Date
  expiresAt: Date
}

/** Outstanding and blacklisted refresh tokens (simplejwt's `token_blacklist` app). */
export interface TokenStore {
  /** Records a freshly issued refresh token. */
  recordOutstanding(token: OutstandingToken): Promise<void>
  /**
   * Blacklists a token, recording it as outstanding first when unknown. Returns true when this call blacklisted it,
   * false when it already was: a single atomic conditional write, so of two concurrent calls exactly one wins.
   */
  blacklist(token: OutstandingToken, now: Date): Promise<boolean>
  isBlacklisted(jti: string): Promise<boolean>
  /** Deletes outstanding (and their blacklist) rows that expired before `now`; returns how many. */
  flushExpired(now: Date): Promise<number>
}

/** Thrown by `UserStore.create` when the username exists. */
export class DuplicateUserError extends Error {
  constructor(username: string) {
    super(`a user with username "${username}" already exists`)
    this.name = 'DuplicateUserError'
  }
}
