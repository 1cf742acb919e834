import {
  DEFAULT_SETTINGS,
  type OutstandingToken,
  type TokenStore,
  type UserTableSettings,
} from '@cookiejwt/core'
import { sql } from 'kysely'
import type { DatabaseHandle } from './db.js'
import { guard } from './errors.js'
import { toDbDate } from './values.js'

/** Outstanding and blacklisted refresh tokens in simplejwt's `token_blacklist` tables. */
export class KyselyTokenStore implements TokenStore {
  readonly #h: DatabaseHandle
  readonly #users: Pick<UserTableSettings, 'table'> & { id: string }

  /** `userTable`: the table `user_id` references (settings.userTable; Django's `auth_user` by default). */
  constructor(handle: DatabaseHandle, userTable: UserTableSettings = DEFAULT_SETTINGS.userTable) {
    this.#h = handle
    this.#users = { table: userTable.table, id: userTable.columns.id }
  }

  recordOutstanding(token: OutstandingToken): Promise<void> {
    return guard(async () => {
      await this.#insertOutstanding(token)
    })
  }

  blacklist(token: OutstandingToken, now: Date): Promise<boolean> {
    return guard(async () => {
      const db = this.#h.db
      await this.#insertOutstanding(token)
      // One conditional insert decides the winner: the unique token_id lets exactly one caller add the row.
      const inserted = await db
        .insertInto('token_blacklist_blacklistedtoken')
        .columns(['token_id', 'blacklisted_at'])
        .expression((eb) =>
          eb
            .selectFrom('token_blacklist_outstandingtoken')
            .select((s) => ['id', s.val(toDbDate(this.#h.dialect, now)).as('blacklisted_at')])
            .where('jti', '=', token.jti),
        )
        .onConflict((oc) => oc.column('token_id').doNothing())
        .returning('id')
        .executeTakeFirst()
      return inserted !== undefined
    })
  }

  isBlacklisted(jti: string): Promise<boolean> {
    return guard(async () => {
      const row = await this.#h.db
        .selectFrom('token_blacklist_blacklistedtoken as b')
        .innerJoin('token_blacklist_outstandingtoken as o', 'o.id', 'b.token_id')
        .select('b.id')
        .where('o.jti', '=', jti)
        .executeTakeFirst()
      return row !== undefined
    })
  }

  flushExpired(now: Date): Promise<number> {
    return guard(async () => {
      const result = await this.#h.db
        .deleteFrom('token_blacklist_outstandingtoken')
        .where('expires_at', '<', toDbDate(this.#h.dialect, now))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    })
  }

  async #insertOutstanding(token: OutstandingToken): Promise<void> {
    const d = this.#h.dialect
    await this.#h.db
      .insertInto('token_blacklist_outstandingtoken')
      .values(() => ({
        jti: token.jti,
        token: token.tokenHash,
        // NULL when the user was deleted meanwhile (simplejwt's on_delete=SET_NULL), never a foreign-key error.
        user_id:
          token.userId === null
            ? null
            : sql<
                string | number
              >`(select ${sql.ref(this.#users.id)} from ${sql.table(this.#users.table)} where ${sql.ref(this.#users.id)} = ${token.userId})`,
        created_at: toDbDate(d, token.createdAt),
        expires_at: toDbDate(d, token.expiresAt),
      }))
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute()
  }
}
