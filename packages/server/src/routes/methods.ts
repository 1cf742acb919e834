import { AuthError } from '@cookiejwt/core'
import type { FastifyInstance, HTTPMethods } from 'fastify'

const ALL: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

/** Answers the other methods of a path with DRF's 405 `method_not_allowed` and an `Allow` header. */
export function allowOnly(app: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  const others = ALL.filter((m) => !allowed.includes(m))
  const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ')
  app.route({
    method: others,
    url,
    handler: async (request, reply) => {
      reply.header('allow', allow)
      throw new AuthError('method_not_allowed', `Method "${request.method}" not allowed.`)
    },
  })
}
