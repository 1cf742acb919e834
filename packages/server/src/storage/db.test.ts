import { ImproperlyConfigured } from '@cookiejwt/core'
import { describe, expect, it } from 'vitest'
import { getFreePort, startPostgres } from '../../test/services/index.js'
import { sql } from 'kysely'
import { loadConfig } from '../cli/config.js'
import { DEFAULT_DB_POOL_MAX, openDatabase } from './db.js'

describe('openDatabase', () => {
  it('selects the dialect from the URL scheme', async () => {
    const server = await startPostgres()
    try {
      for (const url of [server.url, server.url.replace(/^postgres:/, 'postgresql:')]) {
        const handle = await openDatabase(url)
        try {
          expect(handle.dialect).toBe('postgres')
          await handle.ping()
        } finally {
          await handle.destroy()
        }
      }
    } finally {
      await server.stop()
    }
    const sqlite = await openDatabase('sqlite::memory:')
    expect(sqlite.dialect).toBe('sqlite')
    await sqlite.destroy()
  }, 60_000)

  it('refuses other schemes with ImproperlyConfigured, without echoing the URL', async () => {
    const error = await openDatabase('mysql://root:hunter2@db/app').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ImproperlyConfigured)
    expect((error as Error).message).toMatch(
      /^DATABASE_URL must start with sqlite: or postgres:\/\//,
    )
    expect((error as Error).message).not.toContain('hunter2')
  })

  it('does not hang on an unreachable PostgreSQL: opening is lazy, the first query fails within seconds', async () => {
    const port = await getFreePort()
    const handle = await openDatabase(`postgres://postgres:secret@127.0.0.1:${port}/nothing`)
    try {
      const started = Date.now()
      await expect(handle.ping()).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(4000)
    } finally {
      await handle.destroy()
    }
  })

  it('opens at most poolMax PostgreSQL connections: six concurrent queries on a pool of 2 use two backends', async () => {
    const server = await startPostgres()
    try {
      const handle = await openDatabase(server.url, { poolMax: 2 })
      try {
        const rows = await Promise.all(
          Array.from({ length: 6 }, () =>
            sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(handle.db),
          ),
        )
        expect(new Set(rows.map((r) => r.rows[0]!.pid)).size).toBe(2)
      } finally {
        await handle.destroy()
      }
    } finally {
      await server.stop()
    }
  }, 60_000)

  it('refuses a pool size that is not a whole number from 1 to 1000, naming the option', async () => {
    for (const poolMax of [0, -1, 1.5, 1001, Number.NaN]) {
      const error = await openDatabase('sqlite::memory:', { poolMax }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ImproperlyConfigured)
      expect((error as Error).message).toMatch(
        /^poolMax must be a whole number from 1 to 1000 \(got /,
      )
    }
  })
})

describe('COOKIEJWT_DB_POOL_MAX', () => {
  const env = { COOKIEJWT_SIGNING_KEY: 'pool-max-test-signing-key-0123456789abcdef' }

  it('defaults to 10 and takes a whole number from 1 to 1000', () => {
    expect(DEFAULT_DB_POOL_MAX).toBe(10)
    expect(loadConfig(env).databasePoolMax).toBe(10)
    expect(loadConfig({ ...env, COOKIEJWT_DB_POOL_MAX: '' }).databasePoolMax).toBe(10)
    expect(loadConfig({ ...env, COOKIEJWT_DB_POOL_MAX: '1' }).databasePoolMax).toBe(1)
    expect(loadConfig({ ...env, COOKIEJWT_DB_POOL_MAX: '1000' }).databasePoolMax).toBe(1000)
  })

  it('refuses anything else with ImproperlyConfigured naming the variable', () => {
    for (const value of ['0', '1001', '-5', '2.5', '1e2', '0x10', ' 5', 'ten', '99999999999']) {
      expect(() => loadConfig({ ...env, COOKIEJWT_DB_POOL_MAX: value }), value).toThrow(
        ImproperlyConfigured,
      )
      expect(() => loadConfig({ ...env, COOKIEJWT_DB_POOL_MAX: value }), value).toThrow(
        /^COOKIEJWT_DB_POOL_MAX must be a whole number from 1 to 1000 \(got /,
      )
    }
  })
})
