import { userInfo } from 'node:os'
import { AuthError, ValidationError, type User } from '@cookiejwt/core'
import { AdminService, type AdminActor } from '../../admin/service.js'
import { parseUserListQuery } from '../../admin/user-list.js'
import { toAdminUser } from '../../admin/wire.js'
import { SessionManager } from '../../sessions/manager.js'
import type { DialectName } from '../../storage/db.js'
import { CommandError, type Command, type CommandContext } from '../command.js'
import { openFromEnv, type Opened } from '../context.js'

const USAGE = `cookiejwt users <list|show|deactivate|activate> [options]
  list [--search S] [--active|--inactive] [--staff] [--superuser] [--ordering F] [--limit N] [--json]
                              users as the admin lists them (default order: username; at most 100)
  show USER [--json]          one user by username (or #ID), with their active sessions
  deactivate USER             deactivate and end every session at once (the same rules as the admin API:
                              never the last active superuser); written to the audit log as cli:<OS user>
  activate USER               activate again (audited the same way)
With REDIS_URL set, other server processes hear of a deactivation at once; otherwise within revocationCacheTtl.`

/** `cookiejwt users`: the admin's user list and (de)activation for operators without a browser. */
export const users: Command = {
  name: 'users',
  summary: 'list, show, deactivate or activate users (audited, the admin API rules)',
  usage: USAGE,
  options: {
    search: { type: 'string' },
    active: { type: 'boolean' },
    inactive: { type: 'boolean' },
    staff: { type: 'boolean' },
    superuser: { type: 'boolean' },
    ordering: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(context) {
    const [action, target, ...rest] = context.positionals
    if (!action || !['list', 'show', 'deactivate', 'activate'].includes(action))
      throw new CommandError(`usage: ${USAGE}`)
    if (rest.length > 0) throw new CommandError(`unexpected argument "${rest[0]}"`)
    if (action !== 'list' && !target)
      throw new CommandError(`users ${action} needs a USER (username or #id)`)
    const opened = await openFromEnv(context)
    const redis = await openRedis(context)
    try {
      const sessions = new SessionManager({
        settings: opened.config.settings,
        database: opened.handle,
        tokens: opened.tokens,
        revocationCache: redis?.revocationCache,
      })
      // AdminService refuses any user table but auth_user (integer ids), so the ids below are numbers.
      const admin = new AdminService({
        settings: opened.config.settings,
        database: opened.handle,
        hashers: opened.hashers,
        sessions,
      })
      const actor: AdminActor = { kind: 'cli', osUser: osUser(context) }
      const out = (line: string) => context.stdout.write(`${line}\n`)
      if (action === 'list') return await list(context, admin, opened.handle.dialect, out)
      const user = await find(opened, target as string)
      if (action === 'show') {
        const active = await admin.listSessions(user.id as number)
        if (context.values.json)
          out(JSON.stringify({ ...toAdminUser(user), sessions: active.length }))
        else {
          for (const [k, v] of Object.entries(toAdminUser(user)))
            out(`${k.padEnd(13)} ${v === null ? '—' : String(v)}`)
          out(`${'sessions'.padEnd(13)} ${active.length} active`)
          for (const s of active)
            out(
              `  ${s.id}  last used ${s.lastUsedAt.toISOString()}  ${s.ip}  ${s.userAgent.slice(0, 60)}`,
            )
        }
        return 0
      }
      const isActive = action === 'activate'
      if (user.isActive === isActive) {
        out(`${user.username} is already ${isActive ? 'active' : 'inactive'}.`)
        return 0
      }
      await admin.updateUser(actor, {}, user.id as number, { isActive })
      out(
        isActive
          ? `Activated ${user.username}.`
          : `Deactivated ${user.username}; their sessions have ended.`,
      )
      return 0
    } catch (error) {
      if (error instanceof ValidationError)
        throw new CommandError(Object.values(error.fields).flat().join(' '))
      if (error instanceof AuthError) throw new CommandError(error.message)
      throw error
    } finally {
      await redis?.close()
      await opened.handle.destroy()
    }
  },
}

async function list(
  context: CommandContext,
  admin: AdminService,
  dialect: DialectName,
  out: (line: string) => void,
): Promise<number> {
  const v = context.values
  if (v.active && v.inactive) throw new CommandError('--active and --inactive exclude each other')
  const query = parseUserListQuery(
    {
      ...(v.search !== undefined ? { search: v.search } : {}),
      ...(v.active ? { is_active: 'true' } : v.inactive ? { is_active: 'false' } : {}),
      ...(v.staff ? { is_staff: 'true' } : {}),
      ...(v.superuser ? { is_superuser: 'true' } : {}),
      ...(v.ordering !== undefined ? { ordering: v.ordering } : {}),
      page_size: v.limit ?? '100',
    },
    dialect,
  )
  const page = await admin.listUsers(query)
  if (v.json) {
    out(JSON.stringify({ count: page.count, results: page.results.map(toAdminUser) }))
    return 0
  }
  const rows = page.results.map((u) => [
    String(u.id),
    u.username,
    u.email,
    [u.isActive ? 'active' : 'inactive', u.isStaff ? 'staff' : '', u.isSuperuser ? 'superuser' : '']
      .filter(Boolean)
      .join(','),
    u.lastLogin ? u.lastLogin.toISOString() : 'never',
  ])
  const header = ['ID', 'USERNAME', 'EMAIL', 'FLAGS', 'LAST LOGIN']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  for (const row of [header, ...rows])
    out(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
  out(
    `${page.results.length} of ${page.count} user(s)${page.next ? ' (use --search or filters to narrow)' : ''}`,
  )
  return 0
}

async function find(opened: Opened, ref: string): Promise<User> {
  const byId = /^#(\d{1,15})$/.exec(ref)
  const user = byId
    ? await opened.users.findById(Number(byId[1]))
    : await opened.users.findByUsername(ref)
  if (!user) throw new CommandError(`user "${ref}" does not exist`)
  return user
}

function osUser(context: CommandContext): string {
  try {
    return userInfo().username
  } catch {
    return context.env.USER ?? context.env.LOGNAME ?? 'unknown'
  }
}

async function openRedis(context: CommandContext) {
  const url = context.env.REDIS_URL
  if (!url) return null
  const module = await import('../../redis/services.js')
  if (!module.isRedisUrl(url))
    throw new CommandError('REDIS_URL must start with redis:// or rediss://')
  return module.openRedisServices(url)
}
