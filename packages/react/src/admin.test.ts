import { describe, expect, it } from 'vitest'
import { createFakeAdminApi, fakeUser } from '../test/fake-admin-api.js'
import { createAdminApi, toQueryString } from './admin.js'
import { createAuthClient } from './client.js'
import { ApiError } from './errors.js'

function setUp(users?: Parameters<typeof createFakeAdminApi>[0]) {
  const fake = createFakeAdminApi(users)
  const client = createAuthClient({
    fetch: fake.fetch,
    cookies: () => 'csrftoken=admin-csrf',
    crossTab: false,
    silentRefresh: false,
  })
  return { fake, admin: createAdminApi(client) }
}

describe('toQueryString', () => {
  it('sends defined, non-empty values only, booleans as true/false', () => {
    expect(
      toQueryString({
        search: 'a&b %',
        is_active: false,
        is_staff: undefined,
        ordering: '',
        page_size: 5,
      }),
    ).toBe('?search=a%26b+%25&is_active=false&page_size=5')
    expect(toQueryString({})).toBe('')
  })
})

describe('createAdminApi', () => {
  it('lists users with the filters, ordering and page size on the wire', async () => {
    const { fake, admin } = setUp()
    const page = await admin.listUsers({ is_staff: true, ordering: '-username', page_size: 1 })
    expect(fake.calls[0]?.url.pathname).toBe('/api/admin/users/')
    expect(fake.calls[0]?.url.search).toBe('?is_staff=true&ordering=-username&page_size=1')
    expect(page.count).toBe(2)
    expect(page.results.map((u) => u.username)).toEqual(['grace'])
    expect(page.previous).toBeNull()
    const next = await admin.listUsers({
      is_staff: true,
      ordering: '-username',
      page_size: 1,
      cursor: page.next ?? 'missing',
    })
    expect(next.results.map((u) => u.username)).toEqual(['admin'])
    expect(next.next).toBeNull()
    expect(next.previous).not.toBeNull()
  })

  it('reads, updates and deletes one user, with the CSRF header on unsafe methods', async () => {
    const { fake, admin } = setUp()
    expect((await admin.getUser(2)).username).toBe('ada')
    const updated = await admin.updateUser(2, { first_name: 'Augusta', is_staff: true })
    expect(updated).toMatchObject({ id: 2, first_name: 'Augusta', is_staff: true })
    expect(fake.calls[1]).toMatchObject({
      method: 'PATCH',
      body: { first_name: 'Augusta', is_staff: true },
    })
    await expect(admin.deleteUser(2)).resolves.toBeUndefined()
    await expect(admin.getUser(2)).rejects.toMatchObject({ status: 404, code: 'not_found' })
  })

  it('creates a user and turns DRF field errors into ApiError.fields', async () => {
    const { admin } = setUp()
    const user = await admin.createUser({ username: 'linus', password: 'long-enough-1' })
    expect(user).toMatchObject({ username: 'linus', is_active: true })
    const error = await admin
      .createUser({ username: 'linus', password: 'long-enough-1' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).fields).toEqual({
      username: ['A user with that username already exists.'],
    })
  })

  it('sets a password and manages sessions at their paths', async () => {
    const { fake, admin } = setUp()
    fake.state.sessions.set('2', [
      { id: 'a'.repeat(32), created_at: '', last_used_at: '', user_agent: 'UA', ip: '10.0.0.1' },
      { id: 'b'.repeat(32), created_at: '', last_used_at: '', user_agent: null, ip: null },
    ])
    expect((await admin.listSessions(2)).map((s) => s.ip)).toEqual(['10.0.0.1', null])
    await admin.revokeSession(2, 'a'.repeat(32))
    expect((await admin.listSessions(2)).length).toBe(1)
    await admin.revokeAllSessions(2)
    expect(await admin.listSessions(2)).toEqual([])
    await admin.setPassword(2, 'another-long-1')
    expect(fake.calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
      'GET /api/admin/users/2/sessions/',
      `DELETE /api/admin/users/2/sessions/${'a'.repeat(32)}/`,
      'GET /api/admin/users/2/sessions/',
      'POST /api/admin/users/2/sessions/revoke-all/',
      'GET /api/admin/users/2/sessions/',
      'POST /api/admin/users/2/password/',
    ])
    expect(fake.calls.at(-1)?.body).toEqual({ password: 'another-long-1' })
  })

  it('lists the audit log with its filters', async () => {
    const { fake, admin } = setUp()
    await admin.updateUser(2, { last_name: 'Byron' })
    await admin.updateUser(3, { last_name: 'Hopper' })
    const page = await admin.listAudit({ target: '3', action: 'user.update' })
    expect(fake.calls.at(-1)?.url.search).toBe('?target=3&action=user.update')
    expect(page.results).toHaveLength(1)
    expect(page.results[0]?.changes).toEqual({ last_name: { old: '', new: 'Hopper' } })
  })

  it('rejects with permission_denied for a user who is not staff', async () => {
    const { fake, admin } = setUp([fakeUser(1)])
    await expect(admin.listUsers()).rejects.toMatchObject({
      status: 403,
      code: 'permission_denied',
    })
    expect(fake.calls).toHaveLength(1)
  })

  it('encodes ids into the path and honours another prefix', async () => {
    const calls: string[] = []
    const admin = createAdminApi(
      {
        request: <T>(path: string) => {
          calls.push(path)
          return Promise.resolve({} as T)
        },
      },
      '/admin-api',
    )
    await admin.getUser('a/b')
    await admin.listAudit({ actor: '1' })
    expect(calls).toEqual(['/admin-api/users/a%2Fb/', '/admin-api/audit/?actor=1'])
  })
})
