import { SessionManager } from '../../sessions/manager.js'
import { CommandError, type Command } from '../command.js'
import { openFromEnv } from '../context.js'
import { commandSecurityLogger } from '../security-log.js'

const USAGE = `cookiejwt sessions <list|end> <username> | end --all [--deactivate]
  list USERNAME            the user's active sessions (id, started, last used, address, user agent)
  end USERNAME             end every session of the user at once: access tokens already issued are refused on their
                           next request (within revocationCacheTtl, at once with REDIS_URL), refresh tokens mint
                           nothing; also with statelessUser: true
  end --all                the same for every user
  --deactivate             with end USERNAME: also mark the user inactive, so a new login is refused`

/** `cookiejwt sessions`: list a user's sessions, or end a user's (or everyone's) access at once. */
export const sessions: Command = {
  name: 'sessions',
  summary: "list a user's sessions, or end a user's (or every user's) access at once",
  usage: USAGE,
  options: { all: { type: 'boolean' }, deactivate: { type: 'boolean' } },
  async run(context) {
    const [action, username, ...extra] = context.positionals
    const all = context.values.all === true
    const deactivate = context.values.deactivate === true
    if (action !== 'list' && action !== 'end') throw new CommandError('give an action: list or end')
    if (extra.length > 0 || (username === undefined) === !all || (all && action === 'list')) {
      throw new CommandError(
        action === 'list' ? 'give exactly one username' : 'give exactly one of <username>, --all',
      )
    }
    if (deactivate && all)
      throw new CommandError('--deactivate works on one user: give a username, not --all')
    const opened = await openFromEnv(context)
    // REDIS_URL: tell every server process at once, through the shared revocation cache (else within its TTL).
    const redisUrl = context.env.REDIS_URL || null
    const redis = redisUrl
      ? (await import('../../redis/services.js')).openRedisServices(redisUrl)
      : null
    try {
      const manager = new SessionManager({
        settings: opened.config.settings,
        database: opened.handle,
        tokens: opened.tokens,
        revocationCache: redis?.revocationCache,
        log: commandSecurityLogger(context, 'sessions'),
      })
      const now = new Date()
      const out = (line: string) => context.stdout.write(`${line}\n`)
      if (all) {
        const ids = await opened.users.allIds()
        let count = 0
        for (const id of ids) count += await manager.endAll(id, 'ended_by_operator', now)
        out(
          `Ended every session of ${ids.length} user${ids.length === 1 ? '' : 's'} (${count} active).`,
        )
        return 0
      }
      const user = await opened.users.findByUsername(username as string)
      if (!user) throw new CommandError(`no user named ${JSON.stringify(username)}`)
      if (action === 'list') {
        const list = await manager.list(user.id, now)
        if (list.length === 0) out(`${user.username} has no active session.`)
        for (const s of list) {
          out(
            `${s.id}  started ${s.createdAt.toISOString()}  last used ${s.lastUsedAt.toISOString()}  ${s.ip || '-'}  ${JSON.stringify(s.userAgent)}`,
          )
        }
        return 0
      }
      if (deactivate) await opened.users.update(user.id, { isActive: false })
      const count = await manager.endAll(user.id, 'ended_by_operator', now)
      out(
        `Ended every session of ${JSON.stringify(user.username)} (${count} active)${deactivate ? ' and marked the user inactive' : ''}.`,
      )
      return 0
    } finally {
      await redis?.close()
      await opened.handle.destroy()
    }
  },
}
