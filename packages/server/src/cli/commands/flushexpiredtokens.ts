import { sql } from 'kysely'
import { AccountStore } from '../../accounts/store.js'
import type { Command } from '../command.js'
import { openFromEnv } from '../context.js'
import { toDbDate } from '../../storage/values.js'

/**
 * `cookiejwt flushexpiredtokens`: deletes expired outstanding refresh tokens and their blacklist rows (simplejwt's),
 * expired session families, finished throttling windows and used or expired verification/reset links. Nothing still valid
 * is touched.
 */
export const flushexpiredtokens: Command = {
  name: 'flushexpiredtokens',
  summary: 'delete expired refresh-token records, expired sessions and finished throttling windows',
  usage: 'cookiejwt flushexpiredtokens',
  options: {},
  async run(context) {
    const opened = await openFromEnv(context)
    const { handle } = opened
    try {
      const now = new Date()
      const count = await opened.tokens.flushExpired(now)
      const sessions =
        await sql`delete from cookiejwt_session where expires_at < ${toDbDate(handle.dialect, now)}`.execute(
          handle.db,
        )
      const windows =
        await sql`delete from cookiejwt_throttle where reset_at < ${now.getTime()}`.execute(
          handle.db,
        )
      // Verification and reset links that expired or were used: their rows only record that they can no longer work.
      const links = await new AccountStore(handle).flushTokens(now)
      context.stdout.write(
        `Deleted ${count} expired token${count === 1 ? '' : 's'}, ${Number(sessions.numAffectedRows ?? 0n)} expired session(s) ` +
          `and ${Number(windows.numAffectedRows ?? 0n)} finished throttling window(s); ${links} used or expired account link(s).\n`,
      )
      return 0
    } finally {
      await handle.destroy()
    }
  },
}
