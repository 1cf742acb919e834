import { Redis } from 'ioredis'
import { connect } from 'node:net'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  findPostgresBin,
  findRedisServer,
  missingServiceError,
  requireService,
  startPostgres,
  startRedis,
  type PostgresHandle,
  type ServiceHandle,
} from './index.js'

async function pgQuery<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

describe('requireService', () => {
  it('passes when the binaries are installed (CI installs postgresql and redis-server)', () => {
    // These two are the installed-binary probes; a missing one must fail here, loudly.
    expect(() => requireService('postgres')).not.toThrow()
    expect(() => requireService('redis')).not.toThrow()
    expect(findPostgresBin()).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin$/)
    expect(findRedisServer()).toMatch(/redis-server$/)
  })

  it('names the Debian package to install when the binaries are missing', () => {
    expect(missingServiceError('postgres').message).toMatch(
      /^PostgreSQL server binaries .* not found: .* apt-get install -y postgresql\b/,
    )
    expect(missingServiceError('redis').message).toMatch(
      /^redis-server not found: .* apt-get install -y redis-server\b/,
    )
  })
})

describe('startPostgres', () => {
  let server: PostgresHandle

  beforeAll(async () => {
    server = await startPostgres()
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('serves an empty database on a loopback port', async () => {
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/cookiejwt`)
    const rows = await pgQuery<{ db: string; one: number }>(
      server.url,
      'select current_database() as db, 1 as one',
    )
    expect(rows).toEqual([{ db: 'cookiejwt', one: 1 }])
  })

  it('creates further empty databases on the same server', async () => {
    const url = await server.createDatabase()
    expect(url).not.toBe(server.url)
    const rows = await pgQuery<{ n: string }>(
      url,
      "select count(*) as n from information_schema.tables where table_schema = 'public'",
    )
    expect(rows).toEqual([{ n: '0' }])
  })

  it('kill() cuts connections and refuses new ones; restart() brings the same data back', async () => {
    await pgQuery(server.url, 'create table survivor (id int primary key)')
    await pgQuery(server.url, 'insert into survivor values (42)')

    const held = new pg.Client({ connectionString: server.url })
    const heldError = new Promise<Error>((resolve) => held.once('error', resolve))
    await held.connect()

    await server.kill()
    expect(await heldError).toBeInstanceOf(Error)
    await expect(pgQuery(server.url, 'select 1')).rejects.toThrow(/ECONNREFUSED|connect/)
    await held.end().catch(() => undefined)

    await server.restart()
    expect(await pgQuery<{ id: number }>(server.url, 'select id from survivor')).toEqual([{ id: 42 }])
  }, 60_000)
})

describe('startRedis', () => {
  let server: ServiceHandle

  beforeAll(async () => {
    server = await startRedis()
  }, 30_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('serves Redis on a loopback port', async () => {
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`)
    const redis = new Redis(server.url)
    try {
      expect(await redis.ping()).toBe('PONG')
      await redis.set('k', 'v')
      expect(await redis.get('k')).toBe('v')
    } finally {
      redis.disconnect()
    }
  })

  it('kill() makes commands fail fast; restart() serves again on the same port', async () => {
    const redis = new Redis(server.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    })
    redis.on('error', () => undefined)
    try {
      await new Promise((resolve) => redis.once('ready', resolve))
      expect(await redis.ping()).toBe('PONG')
      await server.kill()
      const started = Date.now()
      await expect(redis.ping()).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(1000)

      await server.restart()
      // The client reconnects on its own (retryStrategy) to the same port.
      await expect.poll(() => redis.ping().catch(() => 'down'), { timeout: 5000 }).toBe('PONG')
      // No persistence: the restart starts empty.
      expect(await redis.dbsize()).toBe(0)
    } finally {
      redis.disconnect()
    }
  }, 30_000)

  it('stop() ends the server for good', async () => {
    const other = await startRedis()
    await other.stop()
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(other.port, '127.0.0.1', () => resolve('connected'))
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    })
    expect(refused).toBe('ECONNREFUSED')
    await expect(other.restart()).rejects.toThrow(/stopped/)
  })
})
