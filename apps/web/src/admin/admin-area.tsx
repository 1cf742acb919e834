import type { AuthClient, User } from '@cookiejwt/react'
import { createAdminApi } from '@cookiejwt/react/admin'
import { useMemo } from 'react'
import type { Route } from '../router.js'
import { AuditPage } from './audit-page.js'
import { UserPage } from './user-page.js'
import { UsersPage } from './users-page.js'

/** Props of {@link AdminArea}. */
export interface AdminAreaProps {
  api: AuthClient
  route: Extract<Route, { name: 'admin-users' | 'admin-user' | 'admin-audit' }>
  query: URLSearchParams
  /** The signed-in staff member. */
  me: User
}

/** The admin pages for a staff member: the users table, one user, or the audit log, by route. */
export function AdminArea({ api, route, query, me }: AdminAreaProps) {
  const admin = useMemo(() => createAdminApi(api), [api])
  if (route.name === 'admin-users')
    return <UsersPage admin={admin} params={query} canGrant={me.is_superuser} />
  if (route.name === 'admin-audit') return <AuditPage admin={admin} params={query} />
  return <UserPage key={route.id} admin={admin} id={route.id} me={me} />
}
