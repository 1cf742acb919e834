import { validatePassword } from '@cookiejwt/core'
import { logSecurityEvent } from '../../security-log.js'
import { SessionManager } from '../../sessions/manager.js'
import { CommandError, type Command } from '../command.js'
import { openFromEnv } from '../context.js'
import { Prompter } from '../prompt.js'
import { commandSecurityLogger } from '../security-log.js'

/**
 * `cookiejwt changepassword USERNAME`: as Django's, prompts twice with hidden input. Every session of the user ends,
 * as Django's session auth hash ends them: whoever knew the old password is logged out.
 */
export const changepassword: Command = {
  name: 'changepassword',
  summary: "change a user's password (prompts twice, hidden)",
  usage: 'cookiejwt changepassword USERNAME',
  options: {},
  async run(context) {
    const username = context.positionals[0]
    if (!username) throw new CommandError('USERNAME is required')
    const opened = await openFromEnv(context)
    const prompter = new Prompter(context)
    try {
      const user = await opened.users.findByUsername(username)
      if (!user) throw new CommandError(`user "${username}" does not exist`)
      context.stdout.write(`Changing password for user '${username}'\n`)
      for (let attempt = 0; attempt < 3; attempt++) {
        const first = await prompter.ask('Password: ', true)
        const again = first === null ? null : await prompter.ask('Password (again): ', true)
        if (first === null || again === null) throw new CommandError('no password given')
        if (first !== again) {
          context.stderr.write('Passwords do not match. Please try again.\n')
          continue
        }
        const problems = validatePassword(first, opened.config.settings.passwordValidators, user)
        if (problems.length > 0) {
          context.stderr.write(`${problems.join('\n')}\n`)
          continue
        }
        await opened.users.setPassword(user.id, await opened.hashers.hash(first))
        const log = commandSecurityLogger(context, 'changepassword')
        const sessions = new SessionManager({
          settings: opened.config.settings,
          database: opened.handle,
          tokens: opened.tokens,
          log,
        })
        const ended = await sessions.endAll(user.id, 'password_change', new Date())
        logSecurityEvent(log, 'password_changed', { userId: user.id, count: ended, via: 'cli' })
        context.stdout.write(`Password changed successfully for user '${username}'\n`)
        if (ended > 0)
          context.stdout.write(
            `Ended ${ended} active session${ended === 1 ? '' : 's'} of '${username}'.\n`,
          )
        return 0
      }
      throw new CommandError(`Aborting password change for user '${username}' after 3 attempts`)
    } finally {
      prompter.close()
      await opened.handle.destroy()
    }
  },
}
