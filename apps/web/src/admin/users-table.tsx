import type { AdminPage, AdminUser } from '@cookiejwt/react/admin'
import { Link } from '../router.js'
import { formatDate, fullName } from './format.js'
import { ariaSort, nextOrdering } from './query.js'

const COLUMNS = [
  { key: 'username', label: 'Username' },
  { key: 'last_name', label: 'Name' },
  { key: 'email', label: 'Email' },
  { key: 'date_joined', label: 'Joined' },
  { key: 'last_login', label: 'Last sign-in' },
] as const

/** Props of {@link UsersTable}. */
export interface UsersTableProps {
  page: AdminPage<AdminUser>
  /** The order in effect (the server's default when none was asked for). */
  ordering: string
  onSort: (ordering: string) => void
}

/** The users table: sortable headers (buttons with aria-sort), a link per user, flags as words. */
export function UsersTable({ page, ordering, onSort }: UsersTableProps) {
  const [username, name, email, joined, lastLogin] = COLUMNS.map((column) => (
    <th key={column.key} scope="col" aria-sort={ariaSort(ordering, column.key)}>
      <button
        type="button"
        className="sort"
        onClick={() => onSort(nextOrdering(ordering, column.key))}
      >
        {column.label}
        <span aria-hidden="true" className="sort-mark">
          {ordering === column.key ? '▲' : ordering === `-${column.key}` ? '▼' : '↕'}
        </span>
      </button>
    </th>
  ))
  return (
    <div className="table-wrap">
      <table className="table">
        <caption>
          Users: {page.count} {page.count === 1 ? 'match' : 'matches'}
        </caption>
        <thead>
          <tr>
            {username}
            {name}
            {email}
            <th scope="col">Status</th>
            {joined}
            {lastLogin}
          </tr>
        </thead>
        <tbody>
          {page.results.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No user matches these filters.
              </td>
            </tr>
          )}
          {page.results.map((user) => (
            <tr key={user.id} data-user={user.username}>
              <th scope="row">
                <Link href={`/admin/users/${user.id}`}>{user.username}</Link>
              </th>
              <td>{fullName(user) || '—'}</td>
              <td>{user.email || '—'}</td>
              <td>
                <Badges user={user} />
              </td>
              <td className="nowrap">{formatDate(user.date_joined)}</td>
              <td className="nowrap">{formatDate(user.last_login)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Active or inactive, staff, superuser, as short words (never colour alone). */
export function Badges({
  user,
}: {
  user: Pick<AdminUser, 'is_active' | 'is_staff' | 'is_superuser'>
}) {
  return (
    <span className="badges">
      <span className={user.is_active ? 'badge' : 'badge badge-off'}>
        {user.is_active ? 'Active' : 'Inactive'}
      </span>
      {user.is_staff && <span className="badge badge-staff">Staff</span>}
      {user.is_superuser && <span className="badge badge-super">Superuser</span>}
    </span>
  )
}
