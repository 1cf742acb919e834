import type { FastifyRequest } from 'fastify'
import type { ClientInfo } from './manager.js'

/** The client's IP (the proxy's view when `trustProxy` is on) and user agent, for throttling and the sessions list. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const agent = request.headers['user-agent']
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent : undefined }
}
