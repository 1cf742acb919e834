import { ImproperlyConfigured } from '@cookiejwt/core'
import { describe, expect, it } from 'vitest'
import { getFreePort, startPostgres } from '../../test/services/index.js'
import { openDatabase } from './db.js'

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
    expect((error as Error).message).toMatch(/^DATABASE_URL must start with sqlite: or postgres:\/\//)
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
})
