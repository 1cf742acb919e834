// Test helper (not exported): an in-memory `fetch` that speaks the admin wire of issue 10
// (`/api/admin/users/`, sessions, audit) closely enough for the client's and the demo app's tests. It is not
// the server: it keeps only the rules a test needs to see an error path (staff only, 404, DRF field errors).
import type { AdminSession, AdminUser, AuditEntry } from '../src/admin.js'

export interface FakeAdminApi {
  fetch: typeof fetch
  calls: { method: string; url: URL; body: unknown }[]
  state: {
    users: AdminUser[]
    sessions: Map<string, AdminSession[]>
    audit: AuditEntry[]
    /** Id of the signed-in user, or null when anonymous. */
    actor: number | null
    /** Path suffix → forced answer, e.g. `{ 'users/2/': [500, {}] }`. */
    fail: Map<string, [number, unknown]>
  }
}

const ORDERING = ['id', 'username', 'email', 'first_name', 'last_name', 'date_joined', 'last_login']

/** A user with every field, `overrides` on top. */
export function fakeUser(id: number, overrides: Partial<AdminUser> = {}): AdminUser {
  return {
    id,
    username: `user${id}`,
    email: `user${id}@example.com`,
    first_name: '',
    last_name: '',
    is_active: true,
    is_staff: false,
    is_superuser: false,
    date_joined: new Date(Date.UTC(2026, 0, 1, 0, id)).toISOString(),
    last_login: null,
    ...overrides,
  }
}

export function createFakeAdminApi(users?: AdminUser[]): FakeAdminApi {
  const state: FakeAdminApi['state'] = {
    users: users ?? [
      fakeUser(1, { username: 'admin', is_staff: true, is_superuser: true }),
      fakeUser(2, { username: 'ada', first_name: 'Ada', last_name: 'Lovelace' }),
      fakeUser(3, { username: 'grace', is_staff: true }),
    ],
    sessions: new Map(),
    audit: [],
    actor: 1,
    fail: new Map(),
  }
  const calls: FakeAdminApi['calls'] = []
  const json = (status: number, body?: unknown) =>
    new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    })
  const notFound = () => json(404, { detail: 'Not found.', code: 'not_found' })
  const bad = (field: string, message: string) => json(400, { [field]: [message] })
  const log = (action: string, target: AdminUser, changes: AuditEntry['changes'] = null) => {
    const actor = state.users.find((u) => u.id === state.actor)
    state.audit.unshift({
      id: state.audit.length + 1,
      actor: actor ? { id: actor.id, username: actor.username } : null,
      action,
      target: { id: target.id, username: target.username },
      changes,
      created_at: new Date().toISOString(),
      ip: '127.0.0.1',
      user_agent: 'fake',
    })
  }

  function page<T>(rows: T[], url: URL): Response {
    const size = Number(url.searchParams.get('page_size') ?? 25)
    if (!Number.isInteger(size) || size < 1) return bad('page_size', 'A valid integer is required.')
    const limit = Math.min(size, 100)
    const cursor = url.searchParams.get('cursor')
    const start = cursor === null ? 0 : Number(atob(cursor).replace(/^o/, ''))
    if (!Number.isInteger(start) || start < 0)
      return json(400, { detail: 'Invalid cursor', code: 'invalid' })
    const end = start + limit
    return json(200, {
      count: rows.length,
      next: end < rows.length ? btoa(`o${end}`) : null,
      previous: start > 0 ? btoa(`o${Math.max(0, start - limit)}`) : null,
      results: rows.slice(start, end),
    })
  }

  function listUsers(url: URL): Response {
    let rows = [...state.users]
    const search = url.searchParams.get('search')?.toLowerCase()
    if (search)
      rows = rows.filter((u) =>
        [u.username, u.email, u.first_name, u.last_name].some((v) =>
          v.toLowerCase().includes(search),
        ),
      )
    for (const flag of ['is_active', 'is_staff', 'is_superuser'] as const) {
      const value = url.searchParams.get(flag)
      if (value === null) continue
      if (value !== 'true' && value !== 'false') return bad(flag, 'Must be a valid boolean.')
      rows = rows.filter((u) => u[flag] === (value === 'true'))
    }
    const ordering = url.searchParams.get('ordering') || 'username'
    const key = ordering.replace(/^-/, '')
    if (!ORDERING.includes(key)) return bad('ordering', `Unknown ordering field "${key}".`)
    const sign = ordering.startsWith('-') ? -1 : 1
    rows.sort((a, b) => {
      const x = String(a[key as keyof AdminUser] ?? '')
      const y = String(b[key as keyof AdminUser] ?? '')
      return (key === 'id' ? Number(x) - Number(y) : x.localeCompare(y)) * sign
    })
    return page(rows, url)
  }

  function patchUser(user: AdminUser, body: Record<string, unknown>): Response {
    const changes: Record<string, { old: unknown; new: unknown }> = {}
    if (
      'email' in body &&
      typeof body.email === 'string' &&
      body.email &&
      !body.email.includes('@')
    )
      return bad('email', 'Enter a valid email address.')
    if (body.is_active === false && user.id === state.actor)
      return bad('is_active', 'You cannot deactivate your own account.')
    for (const key of [
      'email',
      'first_name',
      'last_name',
      'is_active',
      'is_staff',
      'is_superuser',
    ]) {
      if (!(key in body)) continue
      const old = user[key as keyof AdminUser]
      if (old !== body[key]) changes[key] = { old, new: body[key] }
      Object.assign(user, { [key]: body[key] })
    }
    if (Object.keys(changes).length) log('user.update', user, changes)
    return json(200, user)
  }

  const fetchFn = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://api.test')
    const method = (init.method ?? 'GET').toUpperCase()
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : null
    calls.push({ method, url, body })
    const rest = url.pathname.replace(/^\/api\/admin\//, '')
    const forced = state.fail.get(rest)
    if (forced) return json(forced[0], forced[1])
    if (state.actor === null)
      return json(401, {
        detail: 'Authentication credentials were not provided.',
        code: 'not_authenticated',
      })
    if (!state.users.find((u) => u.id === state.actor)?.is_staff)
      return json(403, {
        detail: 'You do not have permission to perform this action.',
        code: 'permission_denied',
      })
    if (rest === 'audit/' && method === 'GET') {
      let rows = state.audit
      const actor = url.searchParams.get('actor')
      const target = url.searchParams.get('target')
      const action = url.searchParams.get('action')
      if (actor)
        rows = rows.filter((r) => typeof r.actor === 'object' && String(r.actor?.id) === actor)
      if (target)
        rows = rows.filter((r) => typeof r.target === 'object' && String(r.target?.id) === target)
      if (action) rows = rows.filter((r) => r.action === action)
      return page(rows, url)
    }
    if (rest === 'users/') {
      if (method === 'GET') return listUsers(url)
      if (method === 'POST') {
        const input = body as Record<string, unknown>
        if (typeof input.username !== 'string' || !input.username)
          return bad('username', 'This field is required.')
        if (state.users.some((u) => u.username === input.username))
          return bad('username', 'A user with that username already exists.')
        if (typeof input.password !== 'string' || input.password.length < 8)
          return bad(
            'password',
            'This password is too short. It must contain at least 8 characters.',
          )
        const { password: _password, ...fields } = input
        const user = fakeUser(Math.max(0, ...state.users.map((u) => Number(u.id))) + 1, fields)
        state.users.push(user)
        log('user.create', user)
        return json(201, user)
      }
    }
    const match = /^users\/(\d+)\/(.*)$/.exec(rest)
    const user = match && state.users.find((u) => String(u.id) === match[1])
    if (!match || !user) return notFound()
    const sub = match[2] ?? ''
    const sessions = state.sessions.get(String(user.id)) ?? []
    if (sub === '' && method === 'GET') return json(200, user)
    if (sub === '' && method === 'PATCH') return patchUser(user, body as Record<string, unknown>)
    if (sub === '' && method === 'DELETE') {
      if (user.id === state.actor)
        return json(403, {
          detail: 'You cannot delete your own account.',
          code: 'permission_denied',
        })
      state.users = state.users.filter((u) => u !== user)
      log('user.delete', user)
      return json(204)
    }
    if (sub === 'password/' && method === 'POST') {
      const password = (body as { password?: unknown }).password
      if (typeof password !== 'string' || password.length < 8)
        return bad('password', 'This password is too short. It must contain at least 8 characters.')
      state.sessions.set(String(user.id), [])
      log('user.set_password', user)
      return json(204)
    }
    if (sub === 'sessions/' && method === 'GET') return json(200, sessions)
    if (sub === 'sessions/revoke-all/' && method === 'POST') {
      state.sessions.set(String(user.id), [])
      log('sessions.revoke_all', user)
      return json(204)
    }
    const session = /^sessions\/([^/]+)\/$/.exec(sub)
    if (session && method === 'DELETE') {
      if (!sessions.some((s) => s.id === session[1])) return notFound()
      state.sessions.set(
        String(user.id),
        sessions.filter((s) => s.id !== session[1]),
      )
      log('session.revoke', user)
      return json(204)
    }
    return notFound()
  }
  return { fetch: fetchFn as typeof fetch, calls, state }
}
