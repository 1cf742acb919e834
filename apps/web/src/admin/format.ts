import type { AdminUser, AuditEntry, AuditParty } from '@cookiejwt/react/admin'

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A date for people; `never` when null, the raw text when it does not parse. */
export function formatDate(value: string | null | undefined, never = 'Never'): string {
  if (!value) return never
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : dateFormat.format(date)
}

/** "Ada Lovelace", or '' without names. */
export function fullName(user: Pick<AdminUser, 'first_name' | 'last_name'>): string {
  return [user.first_name, user.last_name].filter(Boolean).join(' ')
}

// The server's two tables (packages/server/src/admin/device.ts), for rows it does not label (audit entries); both are
// tested with the same real user-agent strings (packages/server/test/user-agents.ts). First match wins: Edge, Opera,
// Samsung Internet and headless Chrome also say "Chrome/", every Chrome says "Safari/", only Safari says "Version/".
const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOPT\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bHeadlessChrome\//, 'Headless Chrome'],
  [/\bChromium\//, 'Chromium'],
  [/\bChrome\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+\b.*\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
  [/^python-requests\//, 'python-requests'],
  [/^node|undici/i, 'Node.js'],
]
// iOS says "like Mac OS X" and Android says "Linux": each comes before the system it mentions.
const SYSTEMS: readonly [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
]

/** A short device description from a session's `device` or its user agent: "Chrome on Linux". */
export function describeDevice(
  device: string | null | undefined,
  userAgent: string | null,
): string {
  if (device) return device
  if (!userAgent) return 'Unknown device'
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1]
  const os = SYSTEMS.find(([re]) => re.test(userAgent))?.[1]
  if (browser && os) return `${browser} on ${os}`
  return browser ?? os ?? (userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent)
}

/** Who or what an audit row names: a user (`ada (#2)`), the CLI, or nobody (a deleted user). */
export function describeParty(party: AuditParty | null | undefined): string {
  if (!party) return '—'
  if (party.id === null || party.id === undefined) return party.username || '—'
  return party.username ? `${party.username} (#${party.id})` : `#${party.id}`
}

/** The id of an audit party, for a filter link; null when there is none. */
export function partyId(party: AuditParty | null | undefined): string | null {
  return party?.id === null || party?.id === undefined ? null : String(party.id)
}

/** One changed field as text: `is_active: true → false`. */
export function describeChange(field: string, change: { old: unknown; new: unknown }): string {
  return `${field}: ${showValue(change.old)} → ${showValue(change.new)}`
}

/** The changed fields of an audit row, in a stable order. */
export function listChanges(changes: AuditEntry['changes']): string[] {
  if (!changes || typeof changes !== 'object') return []
  return Object.keys(changes)
    .sort()
    .map((field) => {
      const change = changes[field]
      return change && typeof change === 'object' && 'old' in change
        ? describeChange(field, change)
        : `${field}: ${showValue(change)}`
    })
}

function showValue(value: unknown): string {
  if (value === null || value === undefined) return '∅'
  if (value === '') return '""'
  if (typeof value === 'string') return value
  return JSON.stringify(value)
}
