import { ImproperlyConfigured } from './errors.js'

/** `scheme://*.rest[:port]`: a wildcard that stands for exactly one DNS label, always the leftmost one. */
const PATTERN =
  /^(https?):\/\/\*\.((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(:[0-9]{1,5})?$/
/** One DNS label (RFC 1123), which is what `*` matches: never a dot, so never several labels. */
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'

/** Whether an allow-list entry is a wildcard pattern (`https://*.example.com`) rather than an exact origin. */
export function isOriginPattern(entry: string): boolean {
  return entry.includes('*')
}

/**
 * Validates a list of origins and patterns and returns it normalized (lower-case, no trailing slash).
 * Exact entries are `scheme://host[:port]`; patterns are `scheme://*.example.com[:port]`, where `*` is exactly one
 * subdomain label. `*` alone, a missing scheme, a path, or a wildcard anywhere else throws `ImproperlyConfigured`
 * naming the value.
 */
export function checkOriginList(value: unknown, key: string): string[] {
  if (!Array.isArray(value)) throw new ImproperlyConfigured(`"${key}" must be a list of origins`)
  return value.map((origin) => {
    if (origin === '*') {
      throw new ImproperlyConfigured(
        `"${key}" cannot contain "*": credentials are never shared with every origin`,
      )
    }
    if (typeof origin !== 'string') throw new ImproperlyConfigured(`"${key}" must contain strings`)
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(origin)) {
      throw new ImproperlyConfigured(
        `"${key}" has ${JSON.stringify(origin)}, which has no scheme: write it like https://${origin.replace(/^\/+/, '')}`,
      )
    }
    if (isOriginPattern(origin)) {
      const lower = origin.toLowerCase().replace(/\/$/, '')
      const match = PATTERN.exec(lower)
      // At least two labels after the wildcard, so `https://*.com` (every .com site) is refused.
      if (!match || !match[2]?.includes('.')) {
        throw new ImproperlyConfigured(
          `"${key}" has ${JSON.stringify(origin)}: a pattern is a scheme, "*." and a domain of two or more labels, like https://*.example.com`,
        )
      }
      return lower
    }
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw new ImproperlyConfigured(
        `"${key}" has ${JSON.stringify(origin)}, which is not an origin like https://app.example.com`,
      )
    }
    if (
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.origin !== origin.toLowerCase().replace(/\/$/, '')
    ) {
      throw new ImproperlyConfigured(
        `"${key}" has ${JSON.stringify(origin)}: write a scheme, host and optional port only, like https://app.example.com`,
      )
    }
    return url.origin
  })
}

/** A compiled allow-list: `matches(origin)` is an exact set lookup, then the anchored pattern regexes. */
export interface OriginMatcher {
  matches(origin: string | undefined): boolean
}

const matchers = new WeakMap<readonly string[], OriginMatcher>()

/**
 * Compiles an allow-list (as `checkOriginList` returns it) once per list. `null` and anything that is not a
 * `scheme://host[:port]` never match; a pattern never matches by substring or suffix: `https://*.example.com`
 * does not match `https://example.com`, `https://a.b.example.com`, `https://evilexample.com` or
 * `https://example.com.evil.net`.
 */
export function compileOrigins(list: readonly string[]): OriginMatcher {
  let matcher = matchers.get(list)
  if (matcher) return matcher
  const exact = new Set(list.filter((o) => !isOriginPattern(o)).map((o) => o.toLowerCase()))
  const patterns = list.filter(isOriginPattern).map((p) => {
    const match = PATTERN.exec(p) as RegExpExecArray
    const [, scheme, domain, port] = match
    const escaped = (domain ?? '').replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')
    return new RegExp(`^${scheme}://${LABEL}\\.${escaped}${(port ?? '').replace(':', '\\:')}$`)
  })
  matcher = {
    matches(origin) {
      if (origin === undefined || origin === 'null' || origin.length > 300) return false
      const lower = origin.toLowerCase()
      if (exact.has(lower)) return true
      for (const re of patterns) if (re.test(lower)) return true
      return false
    },
  }
  if (Object.isFrozen(list)) matchers.set(list, matcher)
  return matcher
}
