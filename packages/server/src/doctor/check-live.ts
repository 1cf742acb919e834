import type { AuthSettings } from '@cookiejwt/core'
import type { Finding } from './findings.js'
import { domainMatches } from './sites.js'

/** Options of `checkDeployment`. */
export interface LiveCheckOptions {
  /** Base URL of the deployed API, e.g. `https://api.example.com`. */
  readonly url: URL
  /** The front end's origin: CORS is checked for it. */
  readonly appOrigin?: URL
  /** Settings, for the leeway; null when the local configuration did not load. */
  readonly settings: AuthSettings | null
  /** A clock, for tests. */
  readonly now?: () => Date
  /** Per-request timeout in milliseconds. @default 5000 */
  readonly timeoutMs?: number
}

/** A `Set-Cookie` header split into name and lower-cased attributes. */
export interface ParsedSetCookie {
  readonly name: string
  readonly attributes: ReadonlyMap<string, string>
}

/** Parses one `Set-Cookie` value (name and attributes; the value is dropped, never printed). */
export function parseSetCookie(header: string): ParsedSetCookie {
  const [first = '', ...rest] = header.split(';')
  const attributes = new Map<string, string>()
  for (const part of rest) {
    const eq = part.indexOf('=')
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (key) attributes.set(key, eq < 0 ? '' : part.slice(eq + 1).trim())
  }
  return { name: first.slice(0, Math.max(0, first.indexOf('='))).trim(), attributes }
}

/** A host name that is never registered (RFC 2606), to see whether the API reflects any Origin it is sent. */
const PROBE_ORIGIN = 'https://cookiejwt-doctor-probe.invalid'

/**
 * Checks a live deployment: `GET /api/health/` and `GET /api/auth/csrf/` (with the front end's `Origin`), reading
 * the cookies' attributes, the CORS headers and the `Date` header. Sends no credentials and changes nothing.
 */
export async function checkDeployment(options: LiveCheckOptions): Promise<Finding[]> {
  const findings: Finding[] = []
  const add = (level: Finding['level'], code: string, message: string) =>
    findings.push({ level, code, message })
  const base = options.url.href.replace(/\/+$/, '')
  const timeout = options.timeoutMs ?? 5000
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers, redirect: 'manual', signal: AbortSignal.timeout(timeout) })

  let health: Response
  const clock = () => (options.now?.() ?? new Date()).getTime()
  const sentAt = clock()
  let receivedAt = sentAt
  try {
    health = await get('/api/health/')
    receivedAt = clock()
  } catch (error) {
    add('error', 'unreachable', `Cannot reach ${base}/api/health/: ${(error as Error).message}.`)
    return findings
  }
  if (health.status !== 200)
    add(
      'error',
      'unhealthy',
      `${base}/api/health/ answered ${health.status}, not 200: the API or its database is down.`,
    )

  // Clock skew: the Date header is whole seconds, and servers reuse it for up to a second, so the server's clock
  // was somewhere in [date, date + 2 s) while ours ran from sentAt to receivedAt; only the gap between the two
  // intervals is skew (a slow request is not). One second more than the leeway is still allowed on top.
  const date = health.headers.get('date')
  if (date) {
    const server = Date.parse(date)
    const skew = Math.max(0, sentAt - (server + 2000), server - receivedAt) / 1000
    const leeway = options.settings?.leeway ?? 0
    if (Number.isFinite(skew) && skew > leeway + 1) {
      add(
        skew > 60 ? 'error' : 'warning',
        'clock-skew',
        `The server's clock is ${Math.round(skew)} s away from this machine's (leeway ${leeway} s): tokens checked by ` +
          'other machines may be rejected as expired or not yet valid. Run NTP on every host.',
      )
    }
  }

  const appOrigin = options.appOrigin?.origin
  let csrf: Response
  try {
    csrf = await get('/api/auth/csrf/', appOrigin ? { origin: appOrigin } : {})
  } catch (error) {
    add('error', 'unreachable', `Cannot reach ${base}/api/auth/csrf/: ${(error as Error).message}.`)
    return findings
  }
  if (csrf.status !== 200)
    add('error', 'csrf-endpoint', `${base}/api/auth/csrf/ answered ${csrf.status}, not 200.`)
  const https = options.url.protocol === 'https:'
  const setCookies = csrf.headers.getSetCookie()
  if (csrf.status === 200 && setCookies.length === 0) {
    add(
      'warning',
      'no-cookie',
      `${base}/api/auth/csrf/ set no cookie: is a proxy stripping Set-Cookie?`,
    )
  }
  for (const header of setCookies) {
    const cookie = parseSetCookie(header)
    const secure = cookie.attributes.has('secure')
    const sameSite = cookie.attributes.get('samesite')?.toLowerCase()
    if (sameSite === 'none' && !secure) {
      add(
        'error',
        'samesite-none-insecure',
        `Cookie ${cookie.name} is SameSite=None without Secure: browsers reject it.`,
      )
    }
    if (https && !secure) {
      add(
        'error',
        'insecure-cookie',
        `Cookie ${cookie.name} is served over HTTPS without Secure: set secure, or trustProxy when TLS ends at a proxy.`,
      )
    }
    const domain = cookie.attributes.get('domain')
    if (domain && !domainMatches(options.url.hostname, domain)) {
      add(
        'error',
        'cookie-domain-mismatch',
        `Cookie ${cookie.name} has Domain=${domain}, which does not contain ${options.url.hostname}: browsers reject it.`,
      )
    }
  }

  // CORS for the front end's origin.
  const acao = csrf.headers.get('access-control-allow-origin')
  const acac = csrf.headers.get('access-control-allow-credentials')
  if (acao === '*' && acac === 'true') {
    add(
      'error',
      'cors-wildcard-credentials',
      'The API answers Access-Control-Allow-Origin: * with credentials: browsers refuse it, and it would let any site read user data.',
    )
  }
  if (appOrigin && appOrigin !== options.url.origin) {
    if (acao !== appOrigin) {
      add(
        'error',
        'cors-origin-not-allowed',
        `The API does not allow ${appOrigin} (Access-Control-Allow-Origin: ${acao ?? 'absent'}): the browser blocks its API calls.`,
      )
    } else if (acac !== 'true') {
      add(
        'error',
        'cors-no-credentials',
        'CORS allows the front end but without Access-Control-Allow-Credentials: true, so cookies are not sent.',
      )
    }
  }
  try {
    const probe = await get('/api/auth/csrf/', { origin: PROBE_ORIGIN })
    if (probe.headers.get('access-control-allow-origin') === PROBE_ORIGIN) {
      add(
        'error',
        'cors-reflects-any-origin',
        "The API reflects any Origin in Access-Control-Allow-Origin: every website can call it with the user's cookies.",
      )
    }
  } catch {
    // The probe is best-effort; the earlier requests already reported reachability.
  }
  if (findings.length === 0)
    add('info', 'live-ok', `${base}: health, CSRF cookie and CORS look right.`)
  return findings
}
