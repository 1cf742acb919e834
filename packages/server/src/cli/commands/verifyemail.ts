import { AccountStore } from '../../accounts/store.js'
import { CommandError, type Command } from '../command.js'
import { openFromEnv } from '../context.js'

/**
 * `cookiejwt verifyemail <username> | --all`: marks addresses verified as an operator vouching for them — before
 * turning on mandatory verification, so existing accounts are not asked to verify at their next login.
 */
export const verifyemail: Command = {
  name: 'verifyemail',
  summary: 'mark the email address of a user (or of every user) verified',
  usage: 'cookiejwt verifyemail <username> | --all',
  options: { all: { type: 'boolean' } },
  async run(context) {
    const all = context.values.all === true
    const username = context.positionals[0]
    if (all === (username !== undefined) || context.positionals.length > 1)
      throw new CommandError('give a username or --all')
    const opened = await openFromEnv(context)
    try {
      const store = new AccountStore(opened.handle)
      const now = new Date()
      if (!all) {
        const user = await opened.users.findByUsername(username as string)
        if (!user) throw new CommandError(`no user ${JSON.stringify(username)}`)
        if (user.email === '')
          throw new CommandError(`user ${JSON.stringify(username)} has no email address`)
        await store.markVerified(user.id, user.email, now)
        context.stdout.write(`Marked ${user.email} of ${user.username} verified.\n`)
        return 0
      }
      const rows = await opened.handle.db
        .selectFrom('auth_user')
        .select(['id', 'email'])
        .where('email', '!=', '')
        .execute()
      let count = 0
      for (const row of rows) {
        if (await store.isVerified(Number(row.id), row.email)) continue
        await store.markVerified(Number(row.id), row.email, now)
        count++
      }
      context.stdout.write(`Marked ${count} address${count === 1 ? '' : 'es'} verified.\n`)
      return 0
    } finally {
      await opened.handle.destroy()
    }
  },
}
