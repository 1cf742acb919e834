import { sql } from 'kysely'
import type { Command } from '../command.js'
import { openFromEnv } from '../context.js'
import { toDbDate } from '../../storage/values.js'

/**
 * `cookiejwt flushexpiredtokens`: deletes expired outstanding refresh tokens and their blacklist rows (simplejwt's),
 * expired session families and finished throttling windows. Nothing still valid is touched.
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
      const sessions = await sql`delete from cookiejwt_session where expires_at < ${toDbDate(handle.dialect, now)}`.execute(handle.db)
      const windows = await sql`delete from cookiejwt_throttle where reset_at < ${now.getTime()}`.execute(handle.db)
      context.stdout.write(
        `Deleted ${count} expired token${count === 1 ? '' : 's'}, ${Number(sessions.numAffectedRows ?? 0n)} expired session(s) ` +
          `and ${Number(windows.numAffectedRows ?? 0n)} finished throttling window(s).\n`,
      )
      return 0
    } finally {
      await handle.destroy()
    }
  },
}
