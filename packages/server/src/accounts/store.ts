import type { UserId } from '@cookiejwt/core'
import { createHash, randomBytes } from 'node:crypto'
import type { DatabaseHandle } from '../storage/db.js'
import { guard } from '../storage/errors.js'

/** What an account token is for. */
export type AccountTokenPurpose = 'verify_email' | 'password_reset'

/** A stored account token; the raw token is never stored, only its digest. */
export interface AccountTokenRecord {
  userId: UserId
  email: string
  purpose: AccountTokenPurpose
  expiresAt: Date
  usedAt: Date | null
}

/** A fresh random token: 32 bytes (256 bits) in base64url, as it goes into a link. */
export function newAccountToken(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The stored digest of a token: SHA-256 over the token and what it is bound to (purpose, user, and for a reset the
 * user's current password hash, as Django's PasswordResetTokenGenerator binds to it). When the password changes,
 * the digest of an old link no longer matches any row: the link stops working without any bookkeeping.
 */
export function accountTokenDigest(
  token: string,
  purpose: AccountTokenPurpose,
  binding: string,
): string {
  return createHash('sha256')
    .update(`cookiejwt.account:${purpose}\u0000${binding}\u0000${token}`)
    .digest('hex')
}

/**
 * Account tokens (`cookiejwt_account_token`), verified addresses (`cookiejwt_email_address`) and the user look-ups
 * the account flows need. Every write that spends a token is one conditional UPDATE, so a token is used once even
 * under concurrent requests.
 */
export class AccountStore {
  readonly #h: DatabaseHandle

  constructor(handle: DatabaseHandle) {
    this.#h = handle
  }

  /** Records a token's digest. */
  saveToken(digest: string, record: Omit<AccountTokenRecord, 'usedAt'>, now: Date): Promise<void> {
    return guard(async () => {
      await this.#h.db
        .insertInto('cookiejwt_account_token')
        .values({
          token_hash: digest,
          purpose: record.purpose,
          user_id: record.userId,
          email: record.email,
          created_at: now.getTime(),
          expires_at: record.expiresAt.getTime(),
          used_at: null,
        })
        .execute()
    })
  }

  /** The live (unused, unexpired) token with this digest and purpose, or null. */
  findLiveToken(
    digest: string,
    purpose: AccountTokenPurpose,
    now: Date,
  ): Promise<AccountTokenRecord | null> {
    return guard(async () => {
      const row = await this.#h.db
        .selectFrom('cookiejwt_account_token')
        .selectAll()
        .where('token_hash', '=', digest)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now.getTime())
        .executeTakeFirst()
      return row
        ? {
            userId:
              typeof row.user_id === 'number' || /^\d+$/.test(String(row.user_id))
                ? Number(row.user_id)
                : String(row.user_id),
            email: row.email,
            purpose: row.purpose,
            expiresAt: new Date(Number(row.expires_at)),
            usedAt: null,
          }
        : null
    })
  }

  /** Spends a live token; true for exactly one of any number of concurrent calls. */
  spendToken(digest: string, purpose: AccountTokenPurpose, now: Date): Promise<boolean> {
    return guard(async () => {
      const result = await this.#h.db
        .updateTable('cookiejwt_account_token')
        .set({ used_at: now.getTime() })
        .where('token_hash', '=', digest)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now.getTime())
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    })
  }

  /** Spends every live token of a user for one purpose (after a reset, the other reset links die too). */
  spendAllTokens(userId: UserId, purpose: AccountTokenPurpose, now: Date): Promise<number> {
    return guard(async () => {
      const result = await this.#h.db
        .updateTable('cookiejwt_account_token')
        .set({ used_at: now.getTime() })
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    })
  }

  /** Deletes tokens that expired or were used before `before`; returns how many. */
  flushTokens(before: Date): Promise<number> {
    return guard(async () => {
      const ms = before.getTime()
      const result = await this.#h.db
        .deleteFrom('cookiejwt_account_token')
        .where((eb) => eb.or([eb('expires_at', '<=', ms), eb('used_at', '<=', ms)]))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    })
  }

  /** Whether the user verified exactly this address (a changed email needs verifying again). */
  isVerified(userId: UserId, email: string): Promise<boolean> {
    if (email === '') return Promise.resolve(false)
    return guard(async () => {
      const row = await this.#h.db
        .selectFrom('cookiejwt_email_address')
        .select('email')
        .where('user_id', '=', userId)
        .executeTakeFirst()
      return row !== undefined && row.email.toLowerCase() === email.toLowerCase()
    })
  }

  /** Records that the user receives mail at `email`. */
  markVerified(userId: UserId, email: string, now: Date): Promise<void> {
    return guard(async () => {
      await this.#h.db
        .insertInto('cookiejwt_email_address')
        .values({ user_id: userId, email, verified_at: now.getTime() })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ email, verified_at: now.getTime() }))
        .execute()
    })
  }

  /** Ids of the users with this email (case-insensitive, as Django's `email__iexact`), oldest first. */
  findUserIdsByEmail(email: string): Promise<number[]> {
    return guard(async () => {
      const rows = await this.#h.db
        .selectFrom('auth_user')
        .select('id')
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
        .orderBy('id')
        .limit(10)
        .execute()
      return rows.map((r) => Number(r.id))
    })
  }
}
