import { toPublicUser, type PublicUser, type User } from '@cookiejwt/core'
import type { SessionInfo } from '../sessions/manager.js'

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

// Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrome\/|\bCriOS\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
  [/^python-requests\//, 'python-requests'],
  [/^node|undici/i, 'Node.js'],
]
const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone|iPad|iPod\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
]

/** "Browser on System" from a user agent, as far as a few patterns tell; never throws, "" when nothing matches. */
export function describeDevice(userAgent: string): string {
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1]
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1]
  if (browser && system) return `${browser} on ${system}`
  return browser ?? system ?? ''
}
