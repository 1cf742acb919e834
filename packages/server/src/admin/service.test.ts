import {
  AuthError,
  defineSettings,
  ServiceUnavailableError,
  ValidationError,
  verifyAccessToken,
  type User,
} from '@cookiejwt/core'
import { sql } from 'kysely'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fastHashers, PASSWORD, TEST_KEY } from '../../test/helpers.js'
import { openTestDatabase, TEST_DIALECTS, type TestDatabase } from '../../test/services/dialects.js'
import { openDatabase, type DatabaseHandle } from '../storage/db.js'
import { KyselyTokenStore } from '../storage/tokens.js'
import { KyselyUserStore } from '../storage/users.js'
import { SessionManager } from '../sessions/manager.js'
import { parseAuditQuery } from './audit.js'
import { AdminService, type AdminActor } from './service.js'

/** auth_user ids are integers (the admin runs on Django's table only). */
type AdminTestUser = User & { readonly id: number }

const settings = defineSettings({ signingKey: TEST_KEY, revocationCacheTtl: 2 })
const hashers = fastHashers()
const client = { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' }
const cli: AdminActor = { kind: 'cli', osUser: 'operator' }
const as = (user: AdminTestUser): AdminActor => ({ kind: 'user', id: user.id })

interface World {
  database: TestDatabase
  users: KyselyUserStore
  sessions: SessionManager
  admin: AdminService
  make(
    username: string,
    flags?: { staff?: boolean; superuser?: boolean; active?: boolean },
  ): Promise<AdminTestUser>
  audit(): Promise<Record<string, unknown>[]>
}

async function openWorld(dialect: (typeof TEST_DIALECTS)[number]): Promise<World> {
  const database = await openTestDatabase(dialect)
  return world(database, database)
}

function world(database: TestDatabase, handle: DatabaseHandle): World {
  const users = new KyselyUserStore(handle)
  const sessions = new SessionManager({
    settings,
    database: handle,
    tokens: new KyselyTokenStore(handle),
  })
  return {
    database,
    users,
    sessions,
    admin: new AdminService({ settings, database: handle, hashers, sessions }),
    make: async (username, flags = {}) =>
      (await users.create(
        {
          username,
          email: `${username}@example.com`,
          isStaff: flags.staff ?? flags.superuser ?? false,
          isSuperuser: flags.superuser ?? false,
          isActive: flags.active ?? true,
          password: await hashers.hash(PASSWORD),
        },
        new Date(),
      )) as AdminTestUser,
    audit: async () =>
      (await database.db
        .selectFrom('cookiejwt_admin_audit')
        .selectAll()
        .orderBy('id')
        .execute()) as Record<string, unknown>[],
  }
}

async function expectRefused(
  promise: Promise<unknown>,
  expected: { code?: string; fields?: Record<string, unknown> },
): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error, 'the change was allowed').not.toBeNull()
  if (expected.code) {
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe(expected.code)
  }
  if (expected.fields) {
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).fields).toMatchObject(expected.fields)
  }
}

for (const dialect of TEST_DIALECTS) {
  describe(`admin service rules (${dialect})`, () => {
    let w: World
    let root: AdminTestUser
    let staff: AdminTestUser
    let plain: AdminTestUser
    beforeEach(async () => {
      w = await openWorld(dialect)
      root = await w.make('root', { superuser: true })
      staff = await w.make('staffer', { staff: true })
      plain = await w.make('plain')
    })
    afterEach(() => w.database.destroy())

    it('refuses every operation to a non-staff user, an inactive staff user and a deleted one', async () => {
      const inactive = await w.make('former', { staff: true, active: false })
      for (const actor of [as(plain), as(inactive), { kind: 'user', id: 9999 } as const]) {
        await expectRefused(w.admin.authorize(actor), { code: 'permission_denied' })
        await expectRefused(w.admin.updateUser(actor, client, staff.id, { firstName: 'X' }), {
          code: 'permission_denied',
        })
        await expectRefused(
          w.admin.createUser(actor, client, { username: 'new1', password: 'Ample-Pass-1234' }),
          { code: 'permission_denied' },
        )
        await expectRefused(w.admin.setPassword(actor, client, staff.id, 'Ample-Pass-1234'), {
          code: 'permission_denied',
        })
        await expectRefused(w.admin.deleteUser(actor, client, staff.id), {
          code: 'permission_denied',
        })
        await expectRefused(w.admin.revokeAllSessions(actor, client, staff.id), {
          code: 'permission_denied',
        })
      }
      expect(await w.audit()).toEqual([])
    })

    it('lets staff edit a plain user but only a superuser grant or remove staff and superuser status', async () => {
      expect(
        await w.admin.updateUser(as(staff), client, plain.id, {
          firstName: 'Pat',
          email: 'pat@example.org',
        }),
      ).toMatchObject({
        firstName: 'Pat',
        email: 'pat@example.org',
      })
      await expectRefused(w.admin.updateUser(as(staff), client, plain.id, { isStaff: true }), {
        code: 'permission_denied',
      })
      await expectRefused(w.admin.updateUser(as(staff), client, plain.id, { isSuperuser: true }), {
        code: 'permission_denied',
      })
      await expectRefused(
        w.admin.createUser(as(staff), client, {
          username: 'boss',
          password: 'Ample-Pass-1234',
          isStaff: true,
        }),
        {
          code: 'permission_denied',
        },
      )
      // Echoing the current values is not a change.
      expect(
        await w.admin.updateUser(as(staff), client, plain.id, {
          isStaff: false,
          isSuperuser: false,
        }),
      ).toMatchObject({ isStaff: false })
      expect(await w.admin.updateUser(as(root), client, plain.id, { isStaff: true })).toMatchObject(
        { isStaff: true },
      )
      expect(
        await w.admin.updateUser(as(root), client, plain.id, { isStaff: false }),
      ).toMatchObject({ isStaff: false })
    })

    it('refuses a staff user who is not a superuser any change to a superuser', async () => {
      await expectRefused(w.admin.updateUser(as(staff), client, root.id, { firstName: 'R' }), {
        code: 'permission_denied',
      })
      await expectRefused(w.admin.setPassword(as(staff), client, root.id, 'Ample-Pass-1234'), {
        code: 'permission_denied',
      })
      await expectRefused(w.admin.deleteUser(as(staff), client, root.id), {
        code: 'permission_denied',
      })
      await expectRefused(w.admin.revokeAllSessions(as(staff), client, root.id), {
        code: 'permission_denied',
      })
      expect((await w.admin.getUser(root.id)).firstName).toBe('')
    })

    it('never lets anyone remove their own flags, deactivate or delete themselves', async () => {
      await w.make('root2', { superuser: true })
      await expectRefused(w.admin.updateUser(as(root), client, root.id, { isSuperuser: false }), {
        fields: { is_superuser: ['You cannot remove your own superuser status.'] },
      })
      await expectRefused(w.admin.updateUser(as(root), client, root.id, { isStaff: false }), {
        fields: { is_staff: ['You cannot remove your own staff status.'] },
      })
      await expectRefused(w.admin.updateUser(as(staff), client, staff.id, { isActive: false }), {
        fields: { is_active: ['You cannot deactivate your own account.'] },
      })
      await expectRefused(w.admin.deleteUser(as(root), client, root.id), {
        code: 'permission_denied',
      })
      await expectRefused(w.admin.deleteUser(as(staff), client, staff.id), {
        code: 'permission_denied',
      })
      // Their own names they may change.
      expect(
        await w.admin.updateUser(as(root), client, root.id, { lastName: 'Admin' }),
      ).toMatchObject({ lastName: 'Admin' })
      expect(await w.audit()).toHaveLength(1)
    })

    it('never lets the last active superuser be demoted, deactivated or deleted, also by the CLI', async () => {
      await expectRefused(w.admin.updateUser(cli, client, root.id, { isSuperuser: false }), {
        fields: { is_superuser: ['The last active superuser cannot be demoted.'] },
      })
      await expectRefused(w.admin.updateUser(cli, client, root.id, { isActive: false }), {
        fields: { is_active: ['The last active superuser cannot be deactivated.'] },
      })
      await expectRefused(w.admin.deleteUser(cli, client, root.id), { code: 'permission_denied' })
      // An inactive superuser does not count.
      await w.make('dormant', { superuser: true, active: false })
      await expectRefused(w.admin.updateUser(cli, client, root.id, { isActive: false }), {
        fields: { is_active: expect.any(Array) },
      })
      expect(await w.admin.getUser(root.id)).toMatchObject({ isActive: true, isSuperuser: true })
      expect(await w.audit()).toEqual([])
      // With a second active superuser, it can.
      const other = await w.make('other', { superuser: true })
      await w.admin.updateUser(as(other), client, root.id, { isSuperuser: false })
      expect((await w.admin.getUser(root.id)).isSuperuser).toBe(false)
    })

    it('lets exactly one of two superusers demoting each other at once succeed, on two connections', async () => {
      const second = await w.make('second', { superuser: true })
      // PostgreSQL: two connections, as two server processes. SQLite's driver is synchronous, so a second
      // connection in this thread would block it while waiting for the first; the CLI test races two processes.
      const other = dialect === 'postgres' ? await openDatabase(w.database.url) : null
      // On PostgreSQL a third connection holds the audit table, so both changes get as far as their audit row
      // before either can commit: without the admin lock, both would pass their checks and leave no superuser.
      const locker =
        dialect === 'postgres' ? new pg.Client({ connectionString: w.database.url }) : null
      try {
        await locker?.connect()
        await locker?.query('begin')
        await locker?.query('lock table cookiejwt_admin_audit in share row exclusive mode')
        const w2 = other ? world(w.database, other) : w
        const racing = Promise.allSettled([
          w.admin.updateUser(as(root), client, second.id, { isSuperuser: false }),
          w2.admin.updateUser(as(second), client, root.id, { isSuperuser: false }),
        ])
        if (locker) {
          await new Promise((resolve) => setTimeout(resolve, 500))
          await locker.query('commit')
        }
        const results = await racing
        const fulfilled = results.filter((r) => r.status === 'fulfilled')
        expect(
          fulfilled,
          JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))),
        ).toHaveLength(1)
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
        // The loser is refused by a rule (it is no longer a superuser, or would leave none) — never a 503.
        expect(rejected.reason).not.toBeInstanceOf(ServiceUnavailableError)
        const superusers = await w.admin.listUsers({
          terms: [],
          isSuperuser: true,
          isActive: true,
          ordering: {
            name: 'id',
            field: { column: 'id', unique: true, kind: 'integer', nullable: false },
            descending: false,
          },
          cursor: null,
          pageSize: 10,
        })
        expect(superusers.count).toBe(1)
        expect(await w.audit()).toHaveLength(1)
      } finally {
        await locker?.end()
        await other?.destroy()
      }
    })

    it('returns 404 not_found for an unknown or impossible id', async () => {
      for (const id of [9999, 0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2]) {
        await expectRefused(w.admin.getUser(id), { code: 'not_found' })
        await expectRefused(w.admin.updateUser(as(root), client, id, { firstName: 'x' }), {
          code: 'not_found',
        })
        await expectRefused(w.admin.deleteUser(as(root), client, id), { code: 'not_found' })
        await expectRefused(w.admin.setPassword(as(root), client, id, 'Ample-Pass-1234'), {
          code: 'not_found',
        })
        await expectRefused(w.admin.listSessions(id), { code: 'not_found' })
      }
      await expectRefused(w.admin.revokeSession(as(root), client, plain.id, 'f'.repeat(32)), {
        code: 'not_found',
      })
      await expectRefused(w.admin.revokeSession(as(root), client, plain.id, '../../etc'), {
        code: 'not_found',
      })
    })

    it('validates new users: username, email, names and the createsuperuser password rules', async () => {
      await expectRefused(
        w.admin.createUser(as(root), client, { username: 'plain', password: 'Ample-Pass-1234' }),
        {
          fields: { username: ['A user with that username already exists.'] },
        },
      )
      await expectRefused(
        w.admin.createUser(as(root), client, {
          username: 'bad name',
          password: 'short',
          email: 'nope',
          firstName: 'x'.repeat(151),
        }),
        {
          fields: {
            username: [expect.stringContaining('Enter a valid username')],
            email: ['Enter a valid email address.'],
            first_name: [expect.stringContaining('150')],
            password: expect.arrayContaining([expect.stringContaining('too short')]),
          },
        },
      )
      await expectRefused(
        w.admin.createUser(as(root), client, { username: 'newbie', password: 'newbie123' }),
        {
          fields: {
            password: expect.arrayContaining(['The password is too similar to the username.']),
          },
        },
      )
      await expectRefused(
        w.admin.createUser(as(root), client, { username: 'newbie', password: '' }),
        {
          fields: { password: ['This password may not be blank.'] },
        },
      )
      await expectRefused(
        w.admin.createUser(as(root), client, {
          username: 'newbie',
          password: '\ud800Ample-Pass-1234',
        }),
        {
          fields: { password: ['This password cannot be used.'] },
        },
      )
      await expectRefused(
        w.admin.updateUser(as(root), client, plain.id, { email: 'a\u0000@b.co' }),
        { fields: { email: expect.any(Array) } },
      )
      expect(await w.audit()).toEqual([])
      const created = await w.admin.createUser(as(root), client, {
        username: 'newbie',
        password: 'Ample-Pass-1234',
        lastName: 'New',
      })
      expect(created).toMatchObject({
        username: 'newbie',
        lastName: 'New',
        isActive: true,
        isStaff: false,
        isSuperuser: false,
      })
      expect((await hashers.verify('Ample-Pass-1234', created.password)).valid).toBe(true)
    })

    it('lets two creations of one username race: one user, one 400, one audit row', async () => {
      const other = dialect === 'postgres' ? await openDatabase(w.database.url) : null
      try {
        const w2 = other ? world(w.database, other) : w
        const results = await Promise.allSettled([
          w.admin.createUser(as(root), client, { username: 'twin', password: 'Ample-Pass-1234' }),
          w2.admin.createUser(as(root), client, { username: 'twin', password: 'Ample-Pass-1234' }),
        ])
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
        expect((rejected.reason as ValidationError).fields).toEqual({
          username: ['A user with that username already exists.'],
        })
        expect((await w.audit()).filter((r) => r.action === 'user.create')).toHaveLength(1)
      } finally {
        await other?.destroy()
      }
    })
  })

  describe(`admin service audit trail (${dialect})`, () => {
    let w: World
    let root: AdminTestUser
    beforeEach(async () => {
      w = await openWorld(dialect)
      root = await w.make('root', { superuser: true })
    })
    afterEach(() => w.database.destroy())

    it('writes one row per change with actor, action, target, old and new values, time, IP and user agent', async () => {
      const bob = (await w.admin.createUser(as(root), client, {
        username: 'bob',
        password: 'Ample-Pass-1234',
        email: 'bob@example.com',
      })) as AdminTestUser
      await w.admin.updateUser(as(root), client, bob.id, {
        firstName: 'Bob',
        isActive: false,
        email: 'bob@example.com',
      })
      await w.admin.setPassword(as(root), client, bob.id, 'Other-Pass-5678')
      await w.admin.revokeAllSessions(cli, {}, bob.id)
      await w.admin.deleteUser(as(root), client, bob.id)
      const rows = await w.audit()
      expect(rows.map((r) => r.action)).toEqual([
        'user.create',
        'user.update',
        'user.set_password',
        'session.revoke_all',
        'user.delete',
      ])
      expect(rows[1]).toMatchObject({
        actor_id: root.id,
        actor: 'root',
        target_id: bob.id,
        target: 'bob',
        ip: '203.0.113.9',
        user_agent: client.userAgent,
      })
      expect(JSON.parse(rows[1]!.changes as string)).toEqual({
        first_name: { old: '', new: 'Bob' },
        is_active: { old: true, new: false },
      })
      expect(JSON.parse(rows[0]!.changes as string)).toMatchObject({
        username: { old: null, new: 'bob' },
        is_staff: { old: null, new: false },
      })
      expect(JSON.parse(rows[4]!.changes as string)).toMatchObject({
        username: { old: 'bob', new: null },
      })
      expect(rows[3]).toMatchObject({
        actor_id: null,
        actor: 'cli:operator',
        ip: '',
        user_agent: '',
      })
      // Never a password, never a hash, anywhere in the log.
      const text = JSON.stringify(rows)
      for (const secret of [
        'Ample-Pass-1234',
        'Other-Pass-5678',
        'pbkdf2',
        bob.password.split('$').at(-1)!,
      ])
        expect(text).not.toContain(secret)
      for (const row of rows)
        expect(
          Object.keys(JSON.parse(row.changes as string)).filter((k) => /pass|hash/.test(k)),
        ).toEqual([])
    })

    it('lists the log newest first with actor, target and action filters and keyset pages', async () => {
      const a = (await w.admin.createUser(as(root), client, {
        username: 'a1',
        password: 'Ample-Pass-1234',
      })) as AdminTestUser
      const b = (await w.admin.createUser(cli, client, {
        username: 'b1',
        password: 'Ample-Pass-1234',
      })) as AdminTestUser
      for (let i = 0; i < 5; i++)
        await w.admin.updateUser(as(root), client, a.id, { firstName: `n${i}` })
      const all = await w.admin.listAudit(parseAuditQuery({}, dialect))
      expect(all.count).toBe(7)
      expect(all.results[0]).toMatchObject({
        action: 'user.update',
        target: { id: a.id, username: 'a1' },
        changes: { first_name: { old: 'n3', new: 'n4' } },
      })
      expect(all.results.at(-1)).toMatchObject({
        action: 'user.create',
        actor: { id: root.id, username: 'root' },
      })
      const byTarget = await w.admin.listAudit(parseAuditQuery({ target: String(b.id) }, dialect))
      expect(byTarget.results.map((e) => [e.action, e.actor])).toEqual([
        ['user.create', { id: null, username: 'cli:operator' }],
      ])
      expect(
        (
          await w.admin.listAudit(
            parseAuditQuery({ actor: String(root.id), action: 'user.create' }, dialect),
          )
        ).count,
      ).toBe(1)
      const first = await w.admin.listAudit(parseAuditQuery({ page_size: '3' }, dialect))
      const second = await w.admin.listAudit(
        parseAuditQuery({ page_size: '3', cursor: first.next! }, dialect),
      )
      const third = await w.admin.listAudit(
        parseAuditQuery({ page_size: '3', cursor: second.next! }, dialect),
      )
      expect([...first.results, ...second.results, ...third.results].map((e) => e.id)).toEqual(
        all.results.map((e) => e.id),
      )
      expect(third.next).toBeNull()
      expect(() =>
        parseAuditQuery({ action: 'user.hack', actor: 'x', target: '-1', cursor: 'zz' }, dialect),
      ).toThrow(ValidationError)
    })

    it('writes nothing when the change fails: a refused rule, and a failing audit write rolls the change back', async () => {
      const bob = await w.make('bob')
      await expectRefused(w.admin.updateUser(as(bob), client, bob.id, { firstName: 'x' }), {
        code: 'permission_denied',
      })
      // Break the audit table: the change itself must not survive its missing audit row.
      await sql`alter table cookiejwt_admin_audit rename to cookiejwt_admin_audit_gone`.execute(
        w.database.db,
      )
      await expectRefused(
        w.admin.updateUser(as(root), client, bob.id, { firstName: 'Changed', isActive: false }),
        {},
      )
      await expectRefused(w.admin.deleteUser(as(root), client, bob.id), {})
      await sql`alter table cookiejwt_admin_audit_gone rename to cookiejwt_admin_audit`.execute(
        w.database.db,
      )
      expect(await w.admin.getUser(bob.id)).toMatchObject({ firstName: '', isActive: true })
      expect(await w.audit()).toEqual([])
    })
  })

  describe(`admin service ends access at once (${dialect})`, () => {
    let w: World
    let root: AdminTestUser
    beforeEach(async () => {
      w = await openWorld(dialect)
      root = await w.make('root', { superuser: true })
    })
    afterEach(() => w.database.destroy())

    const signIn = async (user: AdminTestUser, sessions = w.sessions) => {
      const pair = await sessions.start(
        user.id,
        user.id,
        { ip: '198.51.100.7', userAgent: 'curl/8.0' },
        new Date(),
      )
      return verifyAccessToken(settings, pair.access.token)
    }

    it('revokes sessions and older access tokens on deactivation, demotion, password set and deletion — not on a name change', async () => {
      for (const [name, change] of [
        [
          'deactivate',
          (u: AdminTestUser) => w.admin.updateUser(as(root), client, u.id, { isActive: false }),
        ],
        [
          'demote',
          (u: AdminTestUser) => w.admin.updateUser(as(root), client, u.id, { isStaff: false }),
        ],
        [
          'password',
          (u: AdminTestUser) => w.admin.setPassword(as(root), client, u.id, 'Other-Pass-5678'),
        ],
        ['delete', (u: AdminTestUser) => w.admin.deleteUser(as(root), client, u.id)],
        ['revoke-all', (u: AdminTestUser) => w.admin.revokeAllSessions(as(root), client, u.id)],
      ] as const) {
        const user = await w.make(`u-${name}`, { staff: true })
        const token = await signIn(user)
        // Another process that has already seen (and cached) the token as valid.
        const elsewhere = new SessionManager({
          settings: defineSettings({ signingKey: TEST_KEY, revocationCacheTtl: 0 }),
          database: w.database,
          tokens: new KyselyTokenStore(w.database),
        })
        expect(await w.sessions.isRevoked(token)).toBe(false)
        expect(await elsewhere.isRevoked(token)).toBe(false)
        await change(user)
        expect(await w.sessions.isRevoked(token), name).toBe(true)
        expect(await elsewhere.isRevoked(token), name).toBe(true)
        if (name !== 'delete') expect(await w.sessions.list(user.id, new Date()), name).toEqual([])
      }
      const kept = await w.make('kept')
      const token = await signIn(kept)
      await w.admin.updateUser(as(root), client, kept.id, { firstName: 'Still' })
      expect(await w.sessions.isRevoked(token)).toBe(false)
    })

    it('revokes one session of the user, audited, and refuses a session of someone else', async () => {
      const bob = await w.make('bob')
      const carol = await w.make('carol')
      const keep = await signIn(bob)
      const end = await signIn(bob)
      const carols = await signIn(carol)
      const sid = end.payload.sid as string
      await expectRefused(
        w.admin.revokeSession(as(root), client, bob.id, carols.payload.sid as string),
        { code: 'not_found' },
      )
      await w.admin.revokeSession(as(root), client, bob.id, sid)
      expect(await w.sessions.isRevoked(end)).toBe(true)
      expect(await w.sessions.isRevoked(keep)).toBe(false)
      expect(await w.sessions.isRevoked(carols)).toBe(false)
      await expectRefused(w.admin.revokeSession(as(root), client, bob.id, sid), {
        code: 'not_found',
      })
      const rows = await w.audit()
      expect(rows.map((r) => [r.action, JSON.parse(r.changes as string)])).toEqual([
        ['session.revoke', { session: { old: sid, new: null } }],
      ])
      expect((await w.admin.listSessions(bob.id)).map((s) => s.id)).toEqual([keep.payload.sid])
    })
  })
}
