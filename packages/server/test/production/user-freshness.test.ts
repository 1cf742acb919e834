import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, prepareDatabase, serverEnv, startServer, type ServerProcess } from './processes.js'

const PASSWORD = 'correct horse battery staple'

/** GET /api/auth/me/ on a connection of its own: under --workers, successive calls land on different workers. */
function me(url: string, access: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/auth/me/`, { agent: false, headers: { authorization: `Bearer ${access}` } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Runs one statement on the SQLite file from a separate process, as an operator's script would. */
function sqliteFromOutside(file: string, statement: string): void {
  execFileSync(process.execPath, ['-e', `new (require('better-sqlite3'))(process.argv[1]).exec(process.argv[2])`, file, statement], {
    cwd: process.cwd(),
  })
}

// The user a request acts for is read per request; a process may remember it only while the database is unchanged
// (storage/db.ts sqliteGeneration). A change made directly in the database, by another process, must therefore be
// seen by the very next request on every worker.
for (const workers of [1, 2]) {
  describe(`a user changed directly in the SQLite database (serve, ${workers} worker${workers > 1 ? 's' : ''})`, () => {
    let server: ServerProcess
    let file: string
    let access: string

    beforeAll(async () => {
      file = join(mkdtempSync(join(tmpdir(), 'cookiejwt-fresh-')), 'db.sqlite3')
      await prepareDatabase(`sqlite:${file}`, ['ada'], PASSWORD)
      server = await startServer(serverEnv({ DATABASE_URL: `sqlite:${file}`, COOKIEJWT_WORKERS: String(workers) }))
      const login = await api(server.url, '/api/token/', { json: { username: 'ada', password: PASSWORD } })
      expect(login.status).toBe(200)
      access = login.body?.access as string
    }, 120_000)
    afterAll(() => server?.stop())

    it('is refused on the very next request once deactivated, and served again once reactivated', async () => {
      // Every worker has read (and may remember) the user.
      for (let i = 0; i < 8; i++) expect((await me(server.url, access)).status).toBe(200)
      sqliteFromOutside(file, "update auth_user set is_active = 0 where username = 'ada'")
      for (let i = 0; i < 8; i++) {
        const res = await me(server.url, access)
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'user_inactive' })
      }
      sqliteFromOutside(file, "update auth_user set is_active = 1 where username = 'ada'")
      for (let i = 0; i < 8; i++) expect((await me(server.url, access)).status).toBe(200)
    })

    it('shows a profile edited directly in the database on the very next request', async () => {
      for (let i = 0; i < 4; i++) await me(server.url, access)
      sqliteFromOutside(file, "update auth_user set first_name = 'Augusta' where username = 'ada'")
      for (let i = 0; i < 8; i++) expect((await me(server.url, access)).body.first_name).toBe('Augusta')
    })

    it('is refused once deleted', async () => {
      sqliteFromOutside(file, "delete from cookiejwt_session; delete from auth_user where username = 'ada'")
      for (let i = 0; i < 8; i++) expect((await me(server.url, access)).status).toBe(401)
    })
  })
}
