import { parse as parseCookie } from 'cookie'
import type { AuthRequest } from '@cookiejwt/core'
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
 * Client IP, scheme and host. Behind a trusted proxy they come from `X-Forwarded-For` (its first, client-most
 * address, as Fastify's and Express's `trustProxy: true`), `X-Forwarded-Proto` and `X-Forwarded-Host`; otherwise
 * from the socket and `Host`, whatever those headers claim.
 */
export function peerOf(request: ServiceRequest, trustProxy: boolean): Peer {
  const socketIp = request.remoteAddress ?? ''
  const ownProtocol = request.encrypted ? 'https' : 'http'
  const host = headerOf(request.headers, 'host') ?? ''
  if (!trustProxy) return { ip: socketIp, protocol: ownProtocol, host }
  const forwardedFor = headerOf(request.headers, 'x-forwarded-for')
  const ip = forwardedFor ? (forwardedFor.split(',')[0] ?? '').trim() || socketIp : socketIp
  const proto = headerOf(request.headers, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase()
  const forwardedHost = headerOf(request.headers, 'x-forwarded-host')?.split(',')[0]?.trim()
  return {
    ip,
    protocol: proto === 'https' ? 'https' : proto === 'http' ? 'http' : ownProtocol,
    host: forwardedHost || host,
  }
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
