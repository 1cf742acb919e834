/** Second-level labels under which registrations happen (co.uk, com.au, …): a tiny stand-in for the Public Suffix List. */
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'ne', 'or', 'go'])

/**
 * The registrable domain ("site", RFC 6265bis §5.2) of a host, approximated without the Public Suffix List:
 * the last two labels, or three under a two-letter country code with a generic second level (`example.co.uk`).
 * IP addresses and single-label hosts (`localhost`) are their own site.
 */
export function siteOf(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '')
  if (/^[0-9.]+$/.test(h) || h.includes(':') || !h.includes('.')) return h
  const labels = h.split('.')
  const tld = labels[labels.length - 1] ?? ''
  const second = labels[labels.length - 2] ?? ''
  const take = tld.length === 2 && SECOND_LEVEL.has(second) && labels.length >= 3 ? 3 : 2
  return labels.slice(-take).join('.')
}

/** Whether two origins are the same site as browsers decide it for SameSite cookies (scheme included, "schemeful"). */
export function isSameSite(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && siteOf(a.hostname) === siteOf(b.hostname)
}

/** RFC 6265 §5.1.3 domain-match: the host equals the cookie domain or is a subdomain of it. */
export function domainMatches(host: string, domain: string): boolean {
  const h = host.toLowerCase()
  const d = domain.toLowerCase().replace(/^\./, '')
  return h === d || h.endsWith(`.${d}`)
}
