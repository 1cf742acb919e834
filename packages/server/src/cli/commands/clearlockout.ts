import type { UserId } from '@cookiejwt/core'
import { mfaThrottleKey } from '../../mfa/throttle.js'
import { clearLockout } from '../../throttle/lockout.js'
import type { ThrottleStore } from '../../throttle/throttle-store.js'
import { DatabaseThrottleStore } from '../../throttle/store.js'
import { CommandError, type Command } from '../command.js'
import { openFromEnv } from '../context.js'

/**
 * `cookiejwt clearlockout <username> | --ip <ip> | --all`: forgets login-failure counters (django-axes' axes_reset).
 * A username also forgets that user's wrong second-factor codes (counted by user id, so only for an existing user).
 */
export const clearlockout: Command = {
  name: 'clearlockout',
  summary: 'clear login and two-factor code lockouts of a username, an IP address, or everyone',
  usage: 'cookiejwt clearlockout <username> | --ip <ip> | --all',
  options: { ip: { type: 'string' }, all: { type: 'boolean' } },
  async run(context) {
    const username = context.positionals[0]
    const ip = context.values.ip as string | undefined
    const all = context.values.all === true
    const given = [username !== undefined, ip !== undefined, all].filter(Boolean).length
    if (given !== 1 || context.positionals.length > 1)
      throw new CommandError('give exactly one of <username>, --ip <ip>, --all')
    if (ip !== undefined && !/^[0-9A-Fa-f.:]{2,64}$/.test(ip))
      throw new CommandError(`--ip must be an IPv4 or IPv6 address`)
    const opened = await openFromEnv(context)
    // With REDIS_URL the servers count in Redis (as `serve` does): clear there, and in the table a server without
    // Redis used before.
    const redisUrl = context.env.REDIS_URL || null
    const redis = redisUrl
      ? (await import('../../redis/services.js')).openRedisServices(redisUrl)
      : null
    try {
      const target = all
        ? { all: true as const }
        : ip !== undefined
          ? { ip }
          : { username: username as string }
      // The TOTP code counter is keyed by user id (it outlives a username change); an unknown username has none.
      const user = username !== undefined ? await opened.users.findByUsername(username) : null
      const stores: ThrottleStore[] = [new DatabaseThrottleStore(opened.handle)]
      if (redis) stores.push(redis.throttleStore)
      let count = 0
      for (const store of stores) {
        count += await clearLockout(store, target)
        if (user) count += await clearCodeLockout(store, user.id)
      }
      const what = all
        ? 'all lockouts'
        : ip !== undefined
          ? `lockouts of IP ${ip}`
          : `lockouts of username ${JSON.stringify(username)}`
      context.stdout.write(`Cleared ${what} (${count} counter${count === 1 ? '' : 's'}).\n`)
      return 0
    } finally {
      await redis?.close()
      await opened.handle.destroy()
    }
  },
}

/** Forgets one user's wrong second-factor codes; returns the counters removed (0 or 1). */
function clearCodeLockout(store: ThrottleStore, userId: UserId): Promise<number> {
  return store.clear({ key: mfaThrottleKey(userId) })
}
