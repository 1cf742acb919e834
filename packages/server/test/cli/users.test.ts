import { execFile, spawnSync } from 'node:child_process'
import { userInfo } from 'node:os'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { defineSettings, verifyAccessToken } from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SessionManager } from '../../src/sessions/manager.js'
import { KyselyTokenStore } from '../../src/storage/tokens.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { fastHashers, PASSWORD, TEST_KEY } from '../helpers.js'
import { openTestDatabase, TEST_DIALECTS, type TestDatabase } from '../services/dialects.js'

const BIN = resolve(import.meta.dirname, '../../bin/cookiejwt.js')
const execFileAsync = promisify(execFile)

for (const dialect of TEST_DIALECTS) {
  describe(`cookiejwt users (${dialect})`, { timeout: 120_000 }, () => {
    let database: TestDatabase
    let env: NodeJS.ProcessEnv
    const hashers = fastHashers()
    const settings = defineSettings({ signingKey: TEST_KEY, revocationCacheTtl: 0 })

    beforeAll(async () => {
      database = await openTestDatabase(dialect)
      env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, COOKIEJWT_SIGNING_KEY: TEST_KEY }
      const users = new KyselyUserStore(database)
      for (const [username, staff, superuser] of [
        ['root', true, true],
        ['root2', true, true],
        ['bob', false, false],
        ['carol_x', false, false],
        ['carolyn', true, false],
      ] as const) {
        await users.create({ username, email: `${username}@example.com`, isStaff: staff, isSuperuser: superuser, password: await hashers.hash(PASSWORD) }, new Date())
      }
    })
    afterAll(() => database.destroy())

    const cli = (args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, 'users', ...args], { env, encoding: 'utf8', timeout: 60_000 })
      return { code: r.status, stdout: r.stdout, stderr: r.stderr }
    }

    it('lists users as the admin does: table or JSON, literal search, filters; a bad ordering is a one-line error', () => {
      const table = cli(['list'])
      expect(table.code, table.stderr).toBe(0)
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+USERNAME\s+EMAIL\s+FLAGS\s+LAST LOGIN$/)
      expect(table.stdout).toMatch(/root\s+root@example\.com\s+active,staff,superuser\s+never/)
      expect(table.stdout).toContain('5 of 5 user(s)')
      const json = JSON.parse(cli(['list', '--search', 'carol_', '--json']).stdout)
      expect(json.results.map((u: { username: string }) => u.username)).toEqual(['carol_x'])
      expect(JSON.stringify(json)).not.toContain('pbkdf2')
      expect(JSON.parse(cli(['list', '--staff', '--json', '--ordering=-id']).stdout).results.map((u: { username: string }) => u.username)).toEqual([
        'carolyn',
        'root2',
        'root',
      ])
      const bad = cli(['list', '--ordering', 'password'])
      expect(bad.code).toBe(1)
      expect(bad.stderr).toMatch(/^cookiejwt users: Select a valid choice/)
      expect(cli(['frob']).code).toBe(1)
    })

    it('shows one user by username or #id; an unknown one is exit 1', () => {
      const shown = cli(['show', 'bob'])
      expect(shown.code, shown.stderr).toBe(0)
      expect(shown.stdout).toMatch(/^username\s+bob$/m)
      expect(shown.stdout).toMatch(/^is_active\s+true$/m)
      expect(shown.stdout).toMatch(/^sessions\s+0 active$/m)
      expect(JSON.parse(cli(['show', '#1', '--json']).stdout)).toMatchObject({ id: 1, username: 'root', sessions: 0 })
      const missing = cli(['show', 'nobody'])
      expect([missing.code, missing.stderr.trim()]).toEqual([1, 'cookiejwt users: user "nobody" does not exist'])
    })

    it('deactivates a user at once (their session is refused) and activates them again, each audited as cli:<OS user>', async () => {
      const users = new KyselyUserStore(database)
      const bob = (await users.findByUsername('bob'))!
      const sessions = new SessionManager({ settings, database, tokens: new KyselyTokenStore(database) })
      const pair = await sessions.start(bob.id, bob.id, { ip: '192.0.2.1', userAgent: 'curl/8' }, new Date())
      const token = verifyAccessToken(settings, pair.access.token)
      expect(await sessions.isRevoked(token)).toBe(false)
      const off = cli(['deactivate', 'bob'])
      expect([off.code, off.stdout.trim()], off.stderr).toEqual([0, 'Deactivated bob; their sessions have ended.'])
      expect((await users.findById(bob.id))!.isActive).toBe(false)
      expect(await sessions.isRevoked(token)).toBe(true)
      expect(cli(['deactivate', 'bob']).stdout.trim()).toBe('bob is already inactive.')
      expect(cli(['activate', 'bob']).code).toBe(0)
      expect((await users.findById(bob.id))!.isActive).toBe(true)
      const rows = await database.db.selectFrom('cookiejwt_admin_audit').selectAll().where('target_id', '=', bob.id as number).orderBy('id').execute()
      expect(rows.map((r) => [r.action, r.actor, r.actor_id, JSON.parse(r.changes)])).toEqual([
        ['user.update', `cli:${userInfo().username}`, null, { is_active: { old: true, new: false } }],
        ['user.update', `cli:${userInfo().username}`, null, { is_active: { old: false, new: true } }],
      ])
    })

    it('never deactivates the last active superuser, also when two processes race for the last two', async () => {
      const run = (username: string) =>
        execFileAsync(process.execPath, [BIN, 'users', 'deactivate', username], { env, timeout: 60_000 }).then(
          () => 'ok',
          (error: { stderr?: string }) => String(error.stderr).trim(),
        )
      // Two separate processes: on SQLite two connections taking the write lock in turn.
      const results = await Promise.all([run('root'), run('root2')])
      expect(results.filter((r) => r === 'ok'), results.join(' | ')).toHaveLength(1)
      expect(results.find((r) => r !== 'ok')).toBe('cookiejwt users: The last active superuser cannot be deactivated.')
      const users = new KyselyUserStore(database)
      const active = [(await users.findByUsername('root'))!, (await users.findByUsername('root2'))!].filter((u) => u.isActive)
      expect(active).toHaveLength(1)
      const last = active[0]!.username
      const refused = cli(['deactivate', last])
      expect([refused.code, refused.stderr.trim()]).toEqual([1, 'cookiejwt users: The last active superuser cannot be deactivated.'])
    })
  })
}
