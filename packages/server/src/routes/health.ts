import type { FastifyInstance } from 'fastify'
import type { DatabaseHandle } from '../storage/db.js'
import { allowOnly } from './methods.js'

/** Extra health checks (e.g. Redis) reporting 'ok' or throwing. */
export type HealthCheck = () => Promise<void>

/** `GET /api/health/`: 200 `{"status":"ok"}` when the database answers, else 503. */
export async function healthRoutes(
  app: FastifyInstance,
  handle: DatabaseHandle,
  extra: Record<string, HealthCheck> = {},
): Promise<void> {
  app.get('/api/health/', async (_request, reply) => {
    const checks: Record<string, HealthCheck> = { database: () => handle.ping(), ...extra }
    const results: Record<string, string> = {}
    let healthy = true
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2000)
          results[name] = 'ok'
        } catch {
          results[name] = 'unavailable'
          healthy = false
        }
      }),
    )
    if (!healthy) {
      reply.code(503).header('retry-after', '5')
      return { status: 'unavailable', ...results, detail: 'Service temporarily unavailable, try again later.', code: 'service_unavailable' }
    }
    return { status: 'ok', ...results }
  })
  allowOnly(app, '/api/health/', ['GET'])
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
