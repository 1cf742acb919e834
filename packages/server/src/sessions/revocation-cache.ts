// The shared revocation interface, beside the sessions that use it; Redis implements it.

/** What a revocation check needs to know about a verified token. */
export interface RevocableToken {
  /** The token's `jti` claim. */
  jti: string
  /** The user id claim, as a string. */
  userId: string
  /** The token's `iat` claim, epoch seconds. */
  iat: number
}

/**
 * A short-lived, shared record of revoked tokens, checked on every authenticated request so that
 * a logout or a deactivation on one server is honoured by all the others at once.
 *
 * Entries live only as long as the tokens they revoke could (TTL = token lifetime); the database
 * stays the source of truth (blacklist table, `is_active`).
 */
export interface RevocationCache {
  /** Revokes one token by `jti` until `expiresAt` (epoch seconds, its `exp`); past tokens are ignored. */
  revokeToken(jti: string, expiresAt: number): Promise<void>
  /**
   * Revokes every token of `userId` issued before `notBefore` (epoch seconds; `iat < notBefore`),
   * remembered for `ttlSeconds` (use the refresh-token lifetime). A later call never moves the
   * cut-off back.
   */
  revokeUserTokens(userId: string, notBefore: number, ttlSeconds: number): Promise<void>
  /** Returns true when the token was revoked by `jti` or by its user's cut-off. */
  isRevoked(token: RevocableToken): Promise<boolean>
}
