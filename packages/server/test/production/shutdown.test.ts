import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, type PostgresHandle } from '../services/index.js'
import { getFreePort } from '../services/index.js'
import { api, prepareDatabase, runCli, serverEnv, startServer } from './processes.js'

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

  it('two workers share the port, a crashed one is replaced; SIGTERM lets every in-flight request finish, then exits 0', async () => {
    const server = await startServer(env, ['--workers', '2'])
    try {
      // Two worker processes under the primary; one crashing is replaced while the other serves.
      const workers = (): number[] =>
        readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map(Number)
      await expect.poll(() => server.output(), { timeout: 30_000 }).toMatch(/2 workers listening/)
      expect(workers()).toHaveLength(2)
      const [victim] = workers()
      process.kill(victim as number, 'SIGKILL')
      // Its own connections die with it (a pooled keep-alive socket may be one); new ones reach the other worker.
      await expect
        .poll(() => api(server.url, '/api/health/').then((r) => r.status, () => 'reset'), { timeout: 10_000 })
        .toBe(200)
      await expect
        .poll(() => workers().length === 2 && !workers().includes(victim as number), { timeout: 30_000 })
        .toBe(true)
      expect(server.output()).toMatch(new RegExp(`worker ${victim} exited \\(SIGKILL\\)`))
      // The replacement comes up too: both listen again.
      await expect.poll(() => server.output().match(/2 workers listening/g)?.length, { timeout: 30_000 }).toBe(2)

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

  it('a worker that cannot start stops the whole server with a non-zero exit, not a restart loop', async () => {
    const port = String(await getFreePort())
    const started = Date.now()
    const error = await runCli(['serve', '--workers', '2', '--port', port], {
      ...env,
      COOKIEJWT_SIGNING_KEY: 'too short',
    }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/"signingKey" is too short/)
    expect((error as Error).message).toMatch(/the first worker exited before listening \(code 1\)/)
    expect(Date.now() - started).toBeLessThan(30_000)
  }, 60_000)
})
