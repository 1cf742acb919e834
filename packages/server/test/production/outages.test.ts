import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, startRedis, type PostgresHandle, type ServiceHandle } from '../services/index.js'
import { api, prepareDatabase, serverEnv, startServer, type ServerProcess } from './processes.js'

const PASSWORD = 'correct horse battery staple'
const credentials = { username: 'ada', password: PASSWORD }

describe('outages of PostgreSQL and Redis under a running server', () => {
  let postgres: PostgresHandle
  let redis: ServiceHandle
  let server: ServerProcess
  let access: string

  beforeAll(async () => {
    ;[postgres, redis] = await Promise.all([startPostgres(), startRedis()])
    const env = serverEnv({ DATABASE_URL: postgres.url, REDIS_URL: redis.url })
    await prepareDatabase(postgres.url, ['ada'], PASSWORD)
    server = await startServer(env)
    const login = await api(server.url, '/api/token/', { json: credentials })
    expect(login.status).toBe(200)
    access = login.body?.access as string
  }, 120_000)

  afterAll(async () => {
    await server?.stop()
    await Promise.all([postgres?.stop(), redis?.stop()])
  })

  it('PostgreSQL down: 503 fast (no hang, no 500); back up: the same server serves again', async () => {
    expect((await api(server.url, '/api/auth/me/', { bearer: access })).status).toBe(200)
    await postgres.kill()

    const started = Date.now()
    const during = await Promise.all([
      api(server.url, '/api/auth/me/', { bearer: access }),
      api(server.url, '/api/token/', { json: credentials }),
      api(server.url, '/api/auth/me/', { bearer: access }),
    ])
    expect(Date.now() - started).toBeLessThan(8000)
    for (const res of during) {
      expect(res.status).toBe(503)
      expect(res.body).toMatchObject({ code: 'service_unavailable' })
      expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|postgres|select|\/tmp/i)
    }
    const health = await api(server.url, '/api/health/')
    expect(health.status).toBe(503)
    expect(health.body).toMatchObject({ status: 'unavailable', database: 'unavailable', redis: 'ok' })

    await postgres.restart()
    await expect
      .poll(async () => (await api(server.url, '/api/auth/me/', { bearer: access })).status, {
        timeout: 20_000,
        interval: 250,
      })
      .toBe(200)
    expect((await api(server.url, '/api/health/')).body).toMatchObject({ status: 'ok', database: 'ok', redis: 'ok' })
    expect((await api(server.url, '/api/token/', { json: credentials })).status).toBe(200)
  }, 60_000)

  it('Redis down: login 503 (no unthrottled logins), signed-in requests served from the database, health says so; back up: serves again', async () => {
    await redis.kill()
    const started = Date.now()
    const login = await api(server.url, '/api/token/', { json: credentials })
    expect(Date.now() - started).toBeLessThan(5000)
    // Login needs the shared throttling counters: it fails closed rather than unthrottled.
    expect(login.status).toBe(503)
    expect(login.body).toMatchObject({ code: 'service_unavailable' })
    const health = await api(server.url, '/api/health/')
    expect(health.status).toBe(503)
    expect(health.body).toMatchObject({ status: 'unavailable', database: 'ok', redis: 'unavailable' })
    // Revocation checks fall back to the database (the source of truth): signed-in users keep working.
    expect((await api(server.url, '/api/auth/me/', { bearer: access })).status).toBe(200)

    await redis.restart()
    await expect
      .poll(async () => (await api(server.url, '/api/health/')).status, { timeout: 15_000, interval: 250 })
      .toBe(200)
    expect((await api(server.url, '/api/token/', { json: credentials })).status).toBe(200)
  }, 60_000)
})
