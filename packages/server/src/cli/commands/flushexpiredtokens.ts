import type { Command } from '../command.js'
import { openFromEnv } from '../context.js'

/** `cookiejwt flushexpiredtokens`: deletes expired outstanding refresh tokens and their blacklist rows (simplejwt's). */
export const flushexpiredtokens: Command = {
  name: 'flushexpiredtokens',
  summary: 'delete expired refresh-token records (outstanding and blacklisted)',
  usage: 'cookiejwt flushexpiredtokens',
  options: {},
  async run(context) {
    const opened = await openFromEnv(context)
    try {
      const count = await opened.tokens.flushExpired(new Date())
      context.stdout.write(`Deleted ${count} expired token${count === 1 ? '' : 's'}.\n`)
      return 0
    } finally {
      await opened.handle.destroy()
    }
  },
}
