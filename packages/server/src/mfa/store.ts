import type { UserId } from '@cookiejwt/core'
import type { DatabaseHandle } from '../storage/db.js'
import { guard } from '../storage/errors.js'
import { fromDbDate, toDbDate } from '../storage/values.js'

/** A user's TOTP authenticator as stored: the sealed secret, never the secret. */
export interface TotpDevice {
  readonly userId: UserId
  /** The secret sealed by the MFA key ring. */
  readonly sealedSecret: string
  readonly createdAt: Date
  /** Null while the enrolment waits for its first code. */
  readonly confirmedAt: Date | null
  /** The last accepted time step; null before any code was accepted. */
  readonly lastUsedStep: number | null
}

/**
 * Second-factor rows in `cookiejwt_mfa_totp` and `cookiejwt_mfa_backup_code`. Every write that decides whether a
 * code counts (a time step used, a backup code spent, an enrolment confirmed) is one conditional statement, so of
 * two concurrent requests with the same code exactly one wins, on SQLite and PostgreSQL alike.
 */
export class KyselyMfaStore {
  readonly #h: DatabaseHandle

  constructor(handle: DatabaseHandle) {
    this.#h = handle
  }

  /** The user's authenticator, pending or confirmed; null when there is none. */
  findDevice(userId: UserId): Promise<TotpDevice | null> {
    return guard(async () => {
      const row = await this.#h.db
        .selectFrom('cookiejwt_mfa_totp')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirst()
      if (!row) return null
      return {
        userId: row.user_id,
        sealedSecret: row.secret,
        createdAt: fromDbDate(row.created_at)!,
        confirmedAt: fromDbDate(row.confirmed_at),
        lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
      }
    })
  }

  /**
   * Stores a pending authenticator, replacing a pending one; a confirmed one is kept. Returns false when the user
   * already has a confirmed authenticator.
   */
  savePending(userId: UserId, sealedSecret: string, now: Date): Promise<boolean> {
    const created = toDbDate(this.#h.dialect, now)
    return guard(async () => {
      const row = await this.#h.db
        .insertInto('cookiejwt_mfa_totp')
        .values({
          user_id: userId,
          secret: sealedSecret,
          created_at: created,
          confirmed_at: null,
          last_used_step: null,
        })
        .onConflict((oc) =>
          oc
            .column('user_id')
            .doUpdateSet({ secret: sealedSecret, created_at: created, last_used_step: null })
            .where('cookiejwt_mfa_totp.confirmed_at', 'is', null),
        )
        .returning('user_id')
        .executeTakeFirst()
      return row !== undefined
    })
  }

  /**
   * Confirms the pending authenticator whose sealed secret is `sealedSecret` (not one a later setup replaced),
   * records `step` as used and replaces the user's backup codes with `codeDigests`, in one transaction. Returns false
   * when that pending authenticator is gone or already confirmed.
   */
  confirm(
    userId: UserId,
    sealedSecret: string,
    step: number,
    codeDigests: readonly string[],
    now: Date,
  ): Promise<boolean> {
    const at = toDbDate(this.#h.dialect, now)
    return guard(() =>
      this.#h.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('cookiejwt_mfa_totp')
          .set({ confirmed_at: at, last_used_step: step })
          .where('user_id', '=', userId)
          .where('secret', '=', sealedSecret)
          .where('confirmed_at', 'is', null)
          .executeTakeFirst()
        if (Number(updated.numUpdatedRows) !== 1) return false
        await trx.deleteFrom('cookiejwt_mfa_backup_code').where('user_id', '=', userId).execute()
        if (codeDigests.length > 0) {
          await trx
            .insertInto('cookiejwt_mfa_backup_code')
            .values(
              codeDigests.map((code_hash) => ({
                user_id: userId,
                code_hash,
                created_at: at,
                used_at: null,
              })),
            )
            .execute()
        }
        return true
      }),
    )
  }

  /**
   * Records `step` as the last used one of a confirmed authenticator, only if it is later than the stored one; when
   * `resealed` is given the secret is rewritten under the current key in the same statement. Returns false when the
   * step (or a later one) was already used: the code is a replay.
   */
  useStep(userId: UserId, step: number, resealed?: string): Promise<boolean> {
    return guard(async () => {
      const result = await this.#h.db
        .updateTable('cookiejwt_mfa_totp')
        .set({ last_used_step: step, ...(resealed ? { secret: resealed } : {}) })
        .where('user_id', '=', userId)
        .where('confirmed_at', 'is not', null)
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    })
  }

  /**
   * Spends the unused backup code whose digest is one of `digests` (one per key of the ring). Returns false when no
   * such code is left: unknown, or already used.
   */
  useBackupCode(userId: UserId, digests: readonly string[], now: Date): Promise<boolean> {
    if (digests.length === 0) return Promise.resolve(false)
    return guard(async () => {
      const result = await this.#h.db
        .updateTable('cookiejwt_mfa_backup_code')
        .set({ used_at: toDbDate(this.#h.dialect, now) })
        .where('user_id', '=', userId)
        .where('code_hash', 'in', [...digests])
        .where('used_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) >= 1
    })
  }

  /** Replaces every backup code of the user with `codeDigests`. */
  replaceBackupCodes(userId: UserId, codeDigests: readonly string[], now: Date): Promise<void> {
    const at = toDbDate(this.#h.dialect, now)
    return guard(() =>
      this.#h.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('cookiejwt_mfa_backup_code').where('user_id', '=', userId).execute()
        if (codeDigests.length > 0) {
          await trx
            .insertInto('cookiejwt_mfa_backup_code')
            .values(
              codeDigests.map((code_hash) => ({
                user_id: userId,
                code_hash,
                created_at: at,
                used_at: null,
              })),
            )
            .execute()
        }
      }),
    )
  }

  /** Unused backup codes left to the user. */
  countBackupCodes(userId: UserId): Promise<number> {
    return guard(async () => {
      const row = await this.#h.db
        .selectFrom('cookiejwt_mfa_backup_code')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    })
  }

  /** Removes the user's authenticator and backup codes. Returns whether there was an authenticator. */
  remove(userId: UserId): Promise<boolean> {
    return guard(() =>
      this.#h.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('cookiejwt_mfa_backup_code').where('user_id', '=', userId).execute()
        const result = await trx
          .deleteFrom('cookiejwt_mfa_totp')
          .where('user_id', '=', userId)
          .executeTakeFirst()
        return Number(result.numDeletedRows) === 1
      }),
    )
  }
}
