import { mfaThrottleKey } from '../../mfa/throttle.js'
import { KyselyMfaStore } from '../../mfa/store.js'
import { DatabaseThrottleStore } from '../../throttle/store.js'
import { CommandError, type Command } from '../command.js'
import { openFromEnv } from '../context.js'

/**
 * `cookiejwt mfa status USERNAME` / `cookiejwt mfa disable USERNAME`: an operator's view of a user's second factor,
 * and the way back in for someone who lost both the authenticator and the backup codes (django-otp's
 * `disable_admin_otp`). Disabling removes the secret and every backup code and forgets the user's wrong codes.
 */
export const mfa: Command = {
  name: 'mfa',
  summary: "show or turn off a user's two-factor authentication (TOTP)",
  usage: 'cookiejwt mfa status USERNAME | cookiejwt mfa disable USERNAME',
  options: {},
  async run(context) {
    const [action, username, ...rest] = context.positionals
    if ((action !== 'status' && action !== 'disable') || !username || rest.length > 0) {
      throw new CommandError(
        'usage: cookiejwt mfa status USERNAME | cookiejwt mfa disable USERNAME',
      )
    }
    const opened = await openFromEnv(context)
    try {
      const user = await opened.users.findByUsername(username)
      if (!user) throw new CommandError(`user "${username}" does not exist`)
      const store = new KyselyMfaStore(opened.handle)
      if (action === 'status') {
        const device = await store.findDevice(user.id)
        const state = device?.confirmedAt ? 'on' : device ? 'pending (setup not confirmed)' : 'off'
        const left = device?.confirmedAt
          ? `, ${await store.countBackupCodes(user.id)} backup codes left`
          : ''
        context.stdout.write(`Two-factor authentication for '${username}': ${state}${left}.\n`)
        return 0
      }
      const removed = await store.remove(user.id)
      // The wrong-code counter lives where the servers count: in Redis with REDIS_URL (as `serve` does), and in the
      // table a server without Redis used before; both are forgotten, as `clearlockout` does.
      await new DatabaseThrottleStore(opened.handle).reset(mfaThrottleKey(user.id))
      const redisUrl = context.env.REDIS_URL || null
      if (redisUrl) {
        const redis = (await import('../../redis/services.js')).openRedisServices(redisUrl)
        try {
          await redis.throttleStore.reset(mfaThrottleKey(user.id))
        } finally {
          await redis.close()
        }
      }
      context.stdout.write(
        removed
          ? `Two-factor authentication turned off for '${username}': secret and backup codes removed.\n`
          : `Two-factor authentication was not on for '${username}'.\n`,
      )
      return 0
    } finally {
      await opened.handle.destroy()
    }
  },
}
