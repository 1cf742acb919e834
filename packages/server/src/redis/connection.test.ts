import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getFreePort, startRedis, type ServiceHandle } from '../../test/services/index.js'
import { RedisConnection, describeError } from './connection.js'
import { ServiceUnavailableError } from '@cookiejwt/core'
import { isServiceUnavailable } from './errors.js'

describe('RedisConnection', () => {
  let server: ServiceHandle
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(() => server?.stop())

  it('connects lazily, on first use', async () => {
    const redis = new RedisConnection({ url: server.url })
    try {
      const client = await redis.client()
      expect(client.status).toBe('ready')
      expect(await redis.run((c) => c.ping())).toBe('PONG')
    } finally {
      await redis.close()
    }
  })

  it('reports health with a latency', async () => {
    const redis = new RedisConnection({ url: server.url })
    try {
      const health = await redis.health()
      expect(health.status).toBe('ok')
      expect(health.latencyMs).toBeGreaterThanOrEqual(0)
    } finally {
      await redis.close()
    }
  })

  it('fails fast with ServiceUnavailableError when nothing listens', async () => {
    const port = await getFreePort()
    const redis = new RedisConnection({ url: `redis://:s3cret@127.0.0.1:${port}` })
    try {
      const started = Date.now()
      const error = await redis.run((c) => c.ping()).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ServiceUnavailableError)
      expect(error).toMatchObject({ code: 'service_unavailable' })
      // The client sees the generic 503 message; the reason is for logs and /api/health/.
      expect((error as Error).message).toBe('Service temporarily unavailable, try again later.')
      expect(redis.lastError).toBe('ECONNREFUSED')
      expect(String((error as Error).cause)).not.toContain('s3cret')
      expect(Date.now() - started).toBeLessThan(1500)
      // Later calls, while it reconnects in the background, fail at once.
      const again = Date.now()
      await expect(redis.run((c) => c.ping())).rejects.toBeInstanceOf(ServiceUnavailableError)
      expect(Date.now() - again).toBeLessThan(100)
      expect(await redis.health()).toEqual({ status: 'unavailable', error: 'ECONNREFUSED' })
    } finally {
      await redis.close()
    }
  })

  it('gives 503-class errors during an outage and recovers by itself', async () => {
    const own = await startRedis()
    const errors: string[] = []
    const redis = new RedisConnection({ url: own.url, onError: (e) => errors.push(e.message) })
    try {
      expect((await redis.health()).status).toBe('ok')
      await own.kill()

      const started = Date.now()
      const results = await Promise.all(
        Array.from({ length: 20 }, () => redis.run((c) => c.incr('n')).catch((e: unknown) => e)),
      )
      expect(Date.now() - started).toBeLessThan(1500)
      for (const result of results) expect(isServiceUnavailable(result)).toBe(true)
      expect((await redis.health()).status).toBe('unavailable')
      // Background reconnection attempts are reported (and refused) while it is down.
      await expect.poll(() => errors.length, { timeout: 3000 }).toBeGreaterThan(0)
      for (const message of errors) expect(message).not.toContain(own.url)

      await own.restart()
      await expect.poll(async () => (await redis.health()).status, { timeout: 5000 }).toBe('ok')
      expect(await redis.run((c) => c.incr('n'))).toBe(1)
    } finally {
      await redis.close()
      await own.stop()
    }
  }, 20_000)

  it('a command that hangs times out instead of waiting forever', async () => {
    const redis = new RedisConnection({ url: server.url, commandTimeoutMs: 200 })
    const blocker = new RedisConnection({ url: server.url, commandTimeoutMs: 5000 })
    try {
      await redis.client()
      const client = await blocker.client()
      // CLIENT PAUSE holds every other client's commands for 1 s: a server that stopped answering.
      expect(await client.call('CLIENT', 'PAUSE', '1000', 'ALL')).toBe('OK')
      const started = Date.now()
      await expect(redis.run((c) => c.ping())).rejects.toBeInstanceOf(ServiceUnavailableError)
      expect(redis.lastError).toBe('timeout')
      expect(Date.now() - started).toBeLessThan(600)
      // Once the pause is over, the same connection serves again.
      await expect
        .poll(() => redis.run((c) => c.ping()).catch(() => 'down'), { timeout: 3000 })
        .toBe('PONG')
    } finally {
      await redis.close()
      await blocker.close()
    }
  })

  it('describeError never echoes a URL', () => {
    expect(describeError(new Error('connect to redis://u:pw@host:1 failed'))).toBe(
      'connect to <url> failed',
    )
    expect(describeError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET')
    expect(describeError('nope')).toBe('unknown error')
  })
})

describe('openRedisServices', () => {
  it('builds the shared stores and a health check on one lazy connection', async () => {
    const { openRedisServices, isRedisUrl } = await import('./services.js')
    const own = await startRedis()
    const services = openRedisServices(own.url, { keyPrefix: 'svc:' })
    try {
      expect(services.connection.keyPrefix).toBe('svc:')
      await expect(services.healthChecks.redis()).resolves.toBeUndefined()
      expect(await services.throttleStore.hit('k', 60_000)).toMatchObject({ count: 1 })
      await own.kill()
      await expect(services.healthChecks.redis()).rejects.toThrow(/^redis: /)
      await own.restart()
      await expect
        .poll(
          () =>
            services.healthChecks.redis().then(
              () => 'ok',
              () => 'down',
            ),
          { timeout: 5000 },
        )
        .toBe('ok')
    } finally {
      await services.close()
      await own.stop()
    }
    expect(isRedisUrl('redis://127.0.0.1:6379')).toBe(true)
    expect(isRedisUrl('rediss://user:pw@host:6380/0')).toBe(true)
    expect(isRedisUrl('http://host')).toBe(false)
    expect(isRedisUrl('redis://')).toBe(false)
  }, 20_000)
})
