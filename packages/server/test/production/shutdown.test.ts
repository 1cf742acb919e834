import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, type PostgresHandle } from '../services/index.js'
import { api, prepareDatabase, serverEnv, startServer } from './processes.js'

const PASSWORD = 'correct horse battery staple'

describe('serve --workers 2 and SIGTERM under load', () => {
  let postgres: PostgresHandle
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    postgres = await startPostgres()
    env = serverEnv({ DATABASE_URL: postgres.url })
    await prepareDatabase(postgres.url, ['ada'], PASSWORD)
  }, 120_000)
  afterAll(() => postgres?.stop())

  it('two workers share the port; SIGTERM lets every in-flight request finish, then exits 0', async () => {
    const server = await startServer(env, ['--workers', '2'])
    try {
      // Both workers serve: responses come from two different processes.
      await expect
        .poll(
          async () => {
            const pids = new Set<string>()
            for (let i = 0; i < 20; i++) {
              const res = await fetch(`${server.url}/api/health/`)
              await res.text()
              pids.add(res.headers.get('x-worker-pid') ?? `conn${i}`)
            }
            return pids.size
          },
          { timeout: 30_000 },
        )
        .toBeGreaterThan(1)

      // A mixed load in flight when SIGTERM arrives: slow logins (argon2) and fast database reads.
      const login = await api(server.url, '/api/token/', { json: { username: 'ada', password: PASSWORD } })
      const access = login.body?.access as string
      const started = Date.now()
      const inflight = Array.from({ length: 40 }, (_, i) =>
        (i % 4 === 0
          ? api(server.url, '/api/token/', { json: { username: 'ada', password: PASSWORD } })
          : api(server.url, '/api/auth/me/', { bearer: access })
        ).then(
          (r) => r.status,
          (error: Error) => `${error.name}: ${(error.cause as Error | undefined)?.message ?? error.message}`,
        ),
      )
      await new Promise((r) => setTimeout(r, 150))
      const exitCode = server.stop('SIGTERM')
      const statuses = await Promise.all(inflight)
      // No reset connection, no 5xx: every request that reached the server was answered.
      expect({ failed: statuses.filter((s) => s !== 200), ms: Date.now() - started }).toMatchObject({ failed: [] })
      expect(await exitCode).toBe(0)
      expect(server.output()).toMatch(/SIGTERM: stopping 2 worker\(s\)/)
    } finally {
      await server.stop('SIGKILL')
    }
  }, 90_000)
})
