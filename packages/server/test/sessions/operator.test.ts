import { PassThrough } from 'node:stream'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/index.js'
import { TEST_KEY } from '../helpers.js'
import { PASSWORD, sendFrom, startSessionServer, type SessionServer } from './server.js'

// With statelessUser: true the server trusts the token's claims and loads no user per request. What deactivating a
// user directly in the database does then, and the operator command that ends a user's access at once.
let server: SessionServer

beforeAll(async () => {
  server = await startSessionServer({ statelessUser: true })
})
afterAll(async () => {
  await server?.close()
})

async function cli(...args: string[]) {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c) => (out += c))
  stderr.on('data', (c) => (err += c))
  const code = await main(args, { env: { DATABASE_URL: server.databaseUrl, COOKIEJWT_SIGNING_KEY: TEST_KEY }, stdout, stderr })
  return { code, out, err }
}

async function signIn(username: string) {
  const res = await sendFrom('127.0.0.1', server.url, 'POST', '/api/auth/login/', { json: { username, password: PASSWORD } })
  expect(res.status).toBe(200)
  return {
    access: `access_token=${res.cookie('access_token')!.value}`,
    refresh: `refresh_token=${res.cookie('refresh_token')!.value}`,
  }
}
const get = (cookie: string) => sendFrom('127.0.0.1', server.url, 'GET', '/api/auth/sessions/', { headers: { cookie } })
const refresh = (cookie: string) => sendFrom('127.0.0.1', server.url, 'POST', '/api/auth/refresh/', { headers: { cookie } })

/** Polls until `check` holds or `ms` pass; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now()
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return Date.now() - start
}

describe('deactivating a user in the database with statelessUser: true', () => {
  it('refuses refreshes and logins at once, but an access token already issued works until it expires', async () => {
    // Its own server with 2-second access tokens, so the expiry is observed on the real clock.
    const short = await startSessionServer({ statelessUser: true, accessTokenLifetime: 2 })
    try {
      const user = await short.createUser('dana')
      const login = () => sendFrom('127.0.0.1', short.url, 'POST', '/api/auth/login/', { json: { username: 'dana', password: PASSWORD } })
      const res = await login()
      const access = `access_token=${res.cookie('access_token')!.value}`
      const refreshCookie = `refresh_token=${res.cookie('refresh_token')!.value}`
      await sql`update auth_user set is_active = 0 where id = ${user.id}`.execute(short.database.db)
      // The access token is trusted as it is: nothing reads the user row.
      const list = () => sendFrom('127.0.0.1', short.url, 'GET', '/api/auth/sessions/', { headers: { cookie: access } })
      expect((await list()).status).toBe(200)
      // Everything that reads the user refuses at once.
      expect((await sendFrom('127.0.0.1', short.url, 'POST', '/api/auth/refresh/', { headers: { cookie: refreshCookie } })).status).toBe(401)
      expect((await login()).status).toBe(401)
      // The access token passes until it expires (accessTokenLifetime; 5 minutes by default), then never again.
      await within(3500, async () => (await list()).status === 401)
    } finally {
      await short.close()
    }
  })
})

describe('cookiejwt sessions end', () => {
  it('ends every session of a user at once, access tokens included, and logs user_sessions_ended', async () => {
    await server.createUser('eve')
    const phone = await signIn('eve')
    const laptop = await signIn('eve')
    expect((await get(phone.access)).status).toBe(200)
    const listed = await cli('sessions', 'list', 'eve')
    expect(listed.code, listed.err).toBe(0)
    expect(listed.out.trim().split('\n')).toHaveLength(2)

    const ended = await cli('sessions', 'end', 'eve', '--deactivate')
    expect(ended.code, ended.err).toBe(0)
    expect(ended.out).toBe('Ended every session of "eve" (2 active) and marked the user inactive.\n')
    const records = ended.err.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(records.filter((r) => r.event === 'session_revoked')).toHaveLength(2)
    expect(records.at(-1)).toMatchObject({ event: 'user_sessions_ended', command: 'sessions', count: 2, reason: 'ended_by_operator' })
    expect(ended.err).not.toMatch(/eyJ/)

    // The server process caches "not revoked" for revocationCacheTtl (2 s): within it, both access tokens die.
    const waited = await within(server.settings.revocationCacheTtl * 1000 + 1000, async () => (await get(phone.access)).status === 401)
    expect(waited).toBeLessThanOrEqual(server.settings.revocationCacheTtl * 1000 + 1000)
    expect((await get(laptop.access)).status).toBe(401)
    expect((await refresh(phone.refresh)).status).toBe(401)
    expect((await refresh(laptop.refresh)).status).toBe(401)
    const login = await sendFrom('127.0.0.1', server.url, 'POST', '/api/auth/login/', { json: { username: 'eve', password: PASSWORD } })
    expect(login.status).toBe(401)
  })

  it('ends every user\'s sessions with --all', async () => {
    await server.createUser('fay')
    await server.createUser('gus')
    const fay = await signIn('fay')
    const gus = await signIn('gus')
    const ended = await cli('sessions', 'end', '--all')
    expect(ended.code, ended.err).toBe(0)
    expect(ended.out).toMatch(/^Ended every session of \d+ users \(\d+ active\)\.\n$/)
    await within(3500, async () => (await get(fay.access)).status === 401)
    expect((await get(gus.access)).status).toBe(401)
    // Logging in again works: nothing was deactivated.
    await signIn('fay')
  })

  it('refuses bad arguments with exit code 1 and one line', async () => {
    for (const args of [['sessions'], ['sessions', 'end'], ['sessions', 'end', 'eve', '--all'], ['sessions', 'list', '--all'], ['sessions', 'end', 'nobody-here'], ['sessions', 'end', '--all', '--deactivate']]) {
      const r = await cli(...args)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1)
    }
  })
})
