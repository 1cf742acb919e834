import type { AuthClient } from './client.js'
import type { User } from './types.js'

/** A user as the admin API returns it: the contract's User plus `is_active`; never a password hash. */
export interface AdminUser extends User {
  is_active: boolean
}

/** One page of a cursor-paginated list; `next`/`previous` are opaque cursors, null at either end. */
export interface AdminPage<T> {
  count: number
  next: string | null
  previous: string | null
  results: T[]
}

/** Query of `GET /api/admin/users/`; omitted fields are not sent. */
export interface AdminUserQuery {
  /** Matches username, email and names; wildcard characters are literal. */
  search?: string
  is_active?: boolean
  is_staff?: boolean
  is_superuser?: boolean
  /** A field of the server's allow-list, `-` in front for descending (e.g. `-date_joined`). */
  ordering?: string
  cursor?: string
  /** At most 100. */
  page_size?: number
}

/** Body of `POST /api/admin/users/`. */
export interface AdminUserCreate {
  username: string
  password: string
  email?: string
  first_name?: string
  last_name?: string
  is_active?: boolean
  is_staff?: boolean
  is_superuser?: boolean
}

/** The editable fields of `PATCH /api/admin/users/<id>/`. */
export type AdminUserPatch = Partial<
  Pick<AdminUser, 'email' | 'first_name' | 'last_name' | 'is_active' | 'is_staff' | 'is_superuser'>
>

/** One of a user's sessions (a refresh-token family). */
export interface AdminSession {
  id: string
  created_at: string
  last_used_at: string
  user_agent: string | null
  ip: string | null
  /** A short description derived from the user agent ("Firefox on Linux"); '' when unknown. */
  device?: string | null
  /** Whether it is the session of the request that listed it. */
  current?: boolean
}

/** Who made a change or was changed: a user (id and username as they were), or the CLI (`id` null, `cli:<OS user>`). */
export interface AuditParty {
  id: number | string | null
  username: string
}

/** An old and a new value of one changed field (never a password or a hash). */
export interface AuditChange {
  old: unknown
  new: unknown
}

/** One row of the audit log: who did what to whom, when and from where. */
export interface AuditEntry {
  id: number | string
  actor: AuditParty | null
  /** One of {@link AUDIT_ACTIONS} (a newer server may add more). */
  action: string
  /** The user changed; null when the change was to no user. */
  target: AuditParty | null
  /** Changed fields with their old and new values. */
  changes: Record<string, AuditChange> | null
  created_at: string
  ip: string | null
  user_agent: string | null
}

/** The actions an audit row records. */
export const AUDIT_ACTIONS = [
  'user.create',
  'user.update',
  'user.set_password',
  'user.delete',
  'session.revoke',
  'session.revoke_all',
] as const

/** Query of `GET /api/admin/audit/`; omitted fields are not sent. */
export interface AuditQuery {
  /** Id of the user who made the change. */
  actor?: string
  /** Id of the user the change was made to. */
  target?: string
  action?: string
  cursor?: string
  page_size?: number
}

/** Typed calls of the admin API (staff only); each rejects with an `ApiError`. */
export interface AdminApi {
  listUsers(query?: AdminUserQuery): Promise<AdminPage<AdminUser>>
  createUser(body: AdminUserCreate): Promise<AdminUser>
  getUser(id: User['id']): Promise<AdminUser>
  updateUser(id: User['id'], patch: AdminUserPatch): Promise<AdminUser>
  deleteUser(id: User['id']): Promise<void>
  /** Sets the password; the user's sessions end at once. */
  setPassword(id: User['id'], password: string): Promise<void>
  listSessions(id: User['id']): Promise<AdminSession[]>
  revokeSession(id: User['id'], sessionId: string): Promise<void>
  revokeAllSessions(id: User['id']): Promise<void>
  listAudit(query?: AuditQuery): Promise<AdminPage<AuditEntry>>
}

/** Default prefix of the admin API, as in the cookiejwt HTTP contract. */
export const DEFAULT_ADMIN_PATH = '/api/admin/'

/** Builds `?a=1&b=true` from the defined, non-empty values of a query (booleans as `true`/`false`). */
export function toQueryString(query: object): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

/**
 * Creates the admin calls over an {@link AuthClient} (cookies, CSRF and refresh-on-401 come from it).
 * @example const admin = createAdminApi(api); const page = await admin.listUsers({ search: 'ada' })
 */
export function createAdminApi(
  client: Pick<AuthClient, 'request'>,
  prefix: string = DEFAULT_ADMIN_PATH,
): AdminApi {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`
  const user = (id: User['id']) => `${base}users/${encodeURIComponent(String(id))}/`
  return {
    listUsers: (query = {}) => client.request(`${base}users/${toQueryString(query)}`),
    createUser: (body) => client.request(`${base}users/`, { method: 'POST', json: body }),
    getUser: (id) => client.request(user(id)),
    updateUser: (id, patch) => client.request(user(id), { method: 'PATCH', json: patch }),
    async deleteUser(id) {
      await client.request(user(id), { method: 'DELETE' })
    },
    async setPassword(id, password) {
      await client.request(`${user(id)}password/`, { method: 'POST', json: { password } })
    },
    async listSessions(id) {
      const data = await client.request<AdminSession[] | AdminPage<AdminSession>>(
        `${user(id)}sessions/`,
      )
      return Array.isArray(data) ? data : data.results
    },
    async revokeSession(id, sessionId) {
      await client.request(`${user(id)}sessions/${encodeURIComponent(sessionId)}/`, {
        method: 'DELETE',
      })
    },
    async revokeAllSessions(id) {
      await client.request(`${user(id)}sessions/revoke-all/`, { method: 'POST' })
    },
    listAudit: (query = {}) => client.request(`${base}audit/${toQueryString(query)}`),
  }
}
