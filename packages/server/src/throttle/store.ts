import type { ThrottleHit, ThrottleStore } from './throttle-store.js'
import type { DatabaseHandle } from '../storage/db.js'
import { guard } from '../storage/errors.js'

/**
 * Fixed-window counters in the `cookiejwt_throttle` table, shared by every process on the same database.
 * A hit is one atomic upsert-increment (INSERT … ON CONFLICT DO UPDATE … RETURNING) on SQLite and PostgreSQL alike.
 */
export class DatabaseThrottleStore implements ThrottleStore {
  readonly #h: DatabaseHandle
  readonly #now: () => number

  /** `now` returns epoch milliseconds (a test clock). */
  constructor(handle: DatabaseHandle, options: { now?: () => number } = {}) {
    this.#h = handle
    this.#now = options.now ?? Date.now
  }

  hit(key: string, windowMs: number): Promise<ThrottleHit> {
    const now = this.#now()
    const resetAt = now + Math.max(1, Math.ceil(windowMs))
    return guard(async () => {
      const row = await this.#h.db
        .insertInto('cookiejwt_throttle')
        .values({ key, count: 1, reset_at: resetAt })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => {
            // A window that has ended starts again at 1; otherwise count on. Decided inside the one statement.
            const ended = eb('cookiejwt_throttle.reset_at', '<=', now)
            return {
              count: eb
                .case()
                .when(ended)
                .then(1)
                .else(eb('cookiejwt_throttle.count', '+', 1))
                .end(),
              reset_at: eb
                .case()
                .when(ended)
                .then(resetAt)
                .else(eb.ref('cookiejwt_throttle.reset_at'))
                .end(),
            }
          }),
        )
        .returning(['count', 'reset_at'])
        .executeTakeFirstOrThrow()
      return { count: Number(row.count), resetInMs: Math.max(0, Number(row.reset_at) - now) }
    })
  }

  peek(key: string): Promise<ThrottleHit | null> {
    const now = this.#now()
    return guard(async () => {
      const row = await this.#h.db
        .selectFrom('cookiejwt_throttle')
        .select(['count', 'reset_at'])
        .where('key', '=', key)
        .where('reset_at', '>', now)
        .executeTakeFirst()
      return row ? { count: Number(row.count), resetInMs: Number(row.reset_at) - now } : null
    })
  }

  reset(key: string): Promise<void> {
    return guard(async () => {
      await this.#h.db.deleteFrom('cookiejwt_throttle').where('key', '=', key).execute()
    })
  }

  release(key: string): Promise<void> {
    const now = this.#now()
    return guard(async () => {
      await this.#h.db
        .updateTable('cookiejwt_throttle')
        .set((eb) => ({ count: eb('count', '-', 1) }))
        .where('key', '=', key)
        .where('count', '>', 0)
        .where('reset_at', '>', now)
        .execute()
    })
  }

  clear(match: { key?: string; prefix?: string; suffix?: string }): Promise<number> {
    return guard(async () => {
      let query = this.#h.db.deleteFrom('cookiejwt_throttle')
      if (match.key !== undefined) query = query.where('key', '=', match.key)
      // Keys are hex digests and IP addresses behind fixed prefixes (see lockout.ts), never LIKE metacharacters.
      else if (match.prefix || match.suffix)
        query = query.where('key', 'like', `${match.prefix ?? ''}%${match.suffix ?? ''}`)
      const result = await query.executeTakeFirst()
      return Number(result.numDeletedRows)
    })
  }
}
