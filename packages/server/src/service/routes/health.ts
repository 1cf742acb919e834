import type { HealthCheck, RouteDef, ServiceDeps } from '../types.js'

export type { HealthCheck }

/** `GET /api/health/`: 200 `{"status":"ok"}` when the database (and every extra check) answers within 2 s, else 503. */
export function healthRoutes(deps: ServiceDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/health/',
      schema: {
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
        errors: ['service_unavailable'],
        summary: 'Liveness and readiness: the database and Redis answer',
        tags: ['platform'],
      },
      async handler() {
        const checks: Record<string, HealthCheck> = {
          database: () => deps.database.ping(),
          ...deps.healthChecks,
        }
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
          return {
            status: 503,
            headers: { 'retry-after': '5' },
            body: {
              status: 'unavailable',
              ...results,
              detail: 'Service temporarily unavailable, try again later.',
              code: 'service_unavailable',
            },
          }
        }
        return { body: { status: 'ok', ...results } }
      },
    },
  ]
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
