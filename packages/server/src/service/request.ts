import { isIP } from 'node:net'
import { parse as parseCookie } from 'cookie'
import type { AuthRequest, TrustProxy } from '@cookiejwt/core'
import type { ServiceRequest } from './types.js'

/** The first value of a header (Node gives arrays for repeated ones). */
export function headerOf(headers: ServiceRequest['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The facts about a request that depend on proxy trust: client IP, scheme and host. */
export interface Peer {
  readonly ip: string
  readonly protocol: 'http' | 'https'
  readonly host: string
}

/**
 * Client IP, scheme and host. With `trustProxy` false (or 0) they come from the socket and `Host`, whatever any
 * `X-Forwarded-*` header claims. With `n` proxies, each of `X-Forwarded-For`, `-Proto` and `-Host` gives its `n`-th
 * entry from the right: the proxies append their view on the right, so that is what the outermost one saw, and the
 * entries further left are the client's own word (Express's `trust proxy` number; fewer entries than `n`: the
 * left-most). `true` trusts every hop and takes the left-most entry (Express's and Fastify's `true`), which only an
 * overwriting proxy makes safe. An `X-Forwarded-For` entry that is no IP address is ignored (the socket's is used).
 */
export function peerOf(request: ServiceRequest, trustProxy: TrustProxy): Peer {
  const socketIp = request.remoteAddress ?? ''
  const ownProtocol = request.encrypted ? 'https' : 'http'
  const host = headerOf(request.headers, 'host') ?? ''
  if (trustProxy === false || trustProxy === 0) return { ip: socketIp, protocol: ownProtocol, host }
  const hops = trustProxy === true ? Infinity : trustProxy
  const forwardedFor = forwardedEntry(request.headers, 'x-forwarded-for', hops)
  const ip = (forwardedFor !== undefined && ipAddressOf(forwardedFor)) || socketIp
  const proto = forwardedEntry(request.headers, 'x-forwarded-proto', hops)?.toLowerCase()
  const forwardedHost = forwardedEntry(request.headers, 'x-forwarded-host', hops)
  return {
    ip,
    protocol: proto === 'https' ? 'https' : proto === 'http' ? 'http' : ownProtocol,
    host: forwardedHost || host,
  }
}

/**
 * The entry `hops` from the right of a comma-separated `X-Forwarded-*` header (repeated headers are one list, in
 * order), or its left-most when it has fewer; undefined when the header is absent or that entry is empty.
 */
function forwardedEntry(
  headers: ServiceRequest['headers'],
  name: string,
  hops: number,
): string | undefined {
  const value = headers[name]
  if (value === undefined) return undefined
  const entries = (Array.isArray(value) ? value.join(',') : value).split(',')
  const entry = entries[Math.max(0, entries.length - hops)]?.trim()
  return entry === '' ? undefined : entry
}

/** The address of an `X-Forwarded-For` entry (`[v6]:port` and `v4:port` as some proxies write them), or ''. */
function ipAddressOf(entry: string): string {
  if (isIP(entry) !== 0) return entry
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry)
  if (bracketed) return isIP(bracketed[1]!) === 6 ? bracketed[1]! : ''
  const withPort = /^([\d.]+):\d{1,5}$/.exec(entry)
  return withPort && isIP(withPort[1]!) === 4 ? withPort[1]! : ''
}

/** Cookies of a request: the framework's parse if it made one, else the `Cookie` header (parsed once, lazily). */
export function cookieReader(request: ServiceRequest): (name: string) => string | undefined {
  if (request.cookies) {
    const cookies = request.cookies
    return (name) => cookies[name]
  }
  let parsed: Record<string, string | undefined> | undefined
  return (name) => {
    if (parsed === undefined) {
      const raw = headerOf(request.headers, 'cookie')
      parsed = raw ? parseCookie(raw) : {}
    }
    return parsed[name]
  }
}

/** Core's `AuthRequest` over a service request. */
export function toAuthRequest(
  request: ServiceRequest,
  cookie: (name: string) => string | undefined,
): AuthRequest {
  return { method: request.method, header: (name) => headerOf(request.headers, name), cookie }
}

/** Names that occur more than once in a `Cookie` header: the sign of a cookie left by an older Path/Domain. */
export function duplicateCookieNames(headers: ServiceRequest['headers']): string[] {
  const raw = headerOf(headers, 'cookie')
  if (raw === undefined || raw === '') return []
  const counts = new Map<string, number>()
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=')
    const name = (eq < 0 ? '' : part.slice(0, eq)).trim()
    if (name !== '') counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return [...counts].filter(([, n]) => n > 1).map(([name]) => name)
}
