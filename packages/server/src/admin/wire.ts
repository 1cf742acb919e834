import { toPublicUser, type PublicUser, type User } from '@cookiejwt/core'
import type { SessionInfo } from '../sessions/manager.js'
import { describeDevice } from './device.js'

/** A user as the admin API returns it: the contract's User plus `is_active`; never the password hash. */
export interface AdminUserJson extends PublicUser {
  is_active: boolean
}

/** Renders a user for the admin API. */
export function toAdminUser(user: User): AdminUserJson {
  return { ...toPublicUser(user), is_active: user.isActive }
}

/** One session of a user as the admin API lists it. */
export interface AdminSessionJson {
  id: string
  created_at: string
  last_used_at: string
  user_agent: string
  ip: string
  /** A short description derived from the user agent, e.g. "Firefox on Linux"; "" when unknown. */
  device: string
  /** Whether it is the session of the request listing it. */
  current: boolean
}

/** Renders a session for the admin API. */
export function toAdminSession(session: SessionInfo, currentSid: string | null): AdminSessionJson {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    user_agent: session.userAgent,
    ip: session.ip,
    device: describeDevice(session.userAgent),
    current: session.id === currentSid,
  }
}
