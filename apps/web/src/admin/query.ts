import type { AdminUserQuery, AuditQuery } from '@cookiejwt/react/admin'

/** Fields the server can order the users by (each also with `-` in front). */
export const SORTABLE = [
  'id',
  'username',
  'email',
  'first_name',
  'last_name',
  'date_joined',
  'last_login',
] as const

/** The server's order when none is asked for (as Django's `UserAdmin`). */
export const DEFAULT_ORDERING = 'username'

/** Page sizes offered by the tables (the server caps at 100). */
export const PAGE_SIZES = [10, 25, 50, 100] as const

/** The default page size of the tables. */
export const DEFAULT_PAGE_SIZE = 25

const FLAGS = ['is_active', 'is_staff', 'is_superuser'] as const

/** Reads the users table's state from the address bar; values that make no sense are dropped. */
export function parseUserQuery(params: URLSearchParams): AdminUserQuery {
  const query: AdminUserQuery = {}
  const search = params.get('search')?.trim()
  if (search) query.search = search
  for (const flag of FLAGS) {
    const value = params.get(flag)
    if (value === 'true' || value === 'false') query[flag] = value === 'true'
  }
  const ordering = params.get('ordering')
  if (ordering && (SORTABLE as readonly string[]).includes(ordering.replace(/^-/, '')))
    query.ordering = ordering
  const cursor = params.get('cursor')
  if (cursor) query.cursor = cursor
  const size = Number(params.get('page_size'))
  if ((PAGE_SIZES as readonly number[]).includes(size)) query.page_size = size
  return query
}

/** Reads the audit log's filters from the address bar. */
export function parseAuditQuery(params: URLSearchParams): AuditQuery {
  const query: AuditQuery = {}
  for (const key of ['actor', 'target', 'action', 'cursor'] as const) {
    const value = params.get(key)?.trim()
    if (value) query[key] = value
  }
  const size = Number(params.get('page_size'))
  if ((PAGE_SIZES as readonly number[]).includes(size)) query.page_size = size
  return query
}

/** The ordering after a click on a column header: ascending first, then descending, then ascending. */
export function nextOrdering(current: string | undefined, column: string): string {
  return current === column ? `-${column}` : column
}

/** `aria-sort` of a column header for the current ordering. */
export function ariaSort(
  current: string | undefined,
  column: string,
): 'ascending' | 'descending' | undefined {
  if (current === column) return 'ascending'
  if (current === `-${column}`) return 'descending'
  return undefined
}
