import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, startRedis, type PostgresHandle, type ServiceHandle } from '../services/index.js'
import { api, prepareDatabase, runCli, serverEnv, startServer, type ServerProcess } from './processes.js'

const PASSWORD = 'correct horse battery staple'

describe('two server processes sharing one PostgreSQL and one Redis', () => {
  let postgres: PostgresHandle
  let redis: ServiceHandle
  let a: ServerProcess
  let b: ServerProcess
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    ;[postgres, redis] = await Promise.all([startPostgres(), startRedis()])
    env = serverEnv({
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      COOKIEJWT_SETTINGS: JSON.stringify({ throttle: { failuresPerUsernameIp: 4 } }),
    })
    await prepareDatabase(postgres.url, ['ada', 'bob', 'carol', 'dave'], PASSWORD)
    // The CLI sees the PostgreSQL schema as up to date (migrate is idempotent across dialects).
    expect(await runCli(['migrate'], env)).not.toMatch(/Applied/)
    ;[a, b] = await Promise.all([startServer(env), startServer(env)])
  }, 120_000)

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    await Promise.all([postgres?.stop(), redis?.stop()])
  })

  it('both report the database and Redis healthy', async () => {
    for (const server of [a, b]) {
      const health = await api(server.url, '/api/health/')
      expect(health).toMatchObject({ status: 200, body: { status: 'ok', database: 'ok', redis: 'ok' } })
    }
  })

  it('login on A, refresh on B; logout on B, then the old refresh token is refused on A', async () => {
    const login = await api(a.url, '/api/token/', { json: { username: 'ada', password: PASSWORD } })
    expect(login.status).toBe(200)
    const refresh1 = login.body?.refresh as string

    const refreshed = await api(b.url, '/api/token/refresh/', { json: { refresh: refresh1 } })
    expect(refreshed.status).toBe(200)
    const refresh2 = refreshed.body?.refresh as string
    expect(typeof refresh2).toBe('string')
    expect(refresh2).not.toBe(refresh1)
    expect((await api(a.url, '/api/auth/me/', { bearer: refreshed.body?.access as string })).status).toBe(200)

    const logout = await api(b.url, '/api/token/blacklist/', { json: { refresh: refresh2 } })
    expect({ status: logout.status, body: logout.body }).toEqual({ status: 200, body: {} })
    const replay = await api(a.url, '/api/token/refresh/', { json: { refresh: refresh2 } })
    expect(replay.status).toBe(401)
    expect(replay.body).toMatchObject({ code: 'token_not_valid' })
  })

  it('cookie flow across servers: a logout on one ends the access token on the other at once', async () => {
    const login = await fetch(`${a.url}/api/auth/login/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', password: PASSWORD }),
    })
    expect(login.status).toBe(200)
    const jar = cookiesOf(login)
    expect(Object.keys(jar)).toEqual(expect.arrayContaining(['access_token', 'refresh_token', 'csrftoken']))
    const cookie = (names: string[]) => names.map((n) => `${n}=${jar[n]}`).join('; ')

    expect((await fetch(`${b.url}/api/auth/me/`, { headers: { cookie: cookie(['access_token']) } })).status).toBe(200)
    const refreshed = await fetch(`${b.url}/api/auth/refresh/`, {
      method: 'POST',
      headers: { cookie: cookie(['refresh_token']) },
    })
    expect(refreshed.status).toBe(200)
    Object.assign(jar, cookiesOf(refreshed))

    const logout = await fetch(`${a.url}/api/auth/logout/`, {
      method: 'POST',
      headers: { cookie: cookie(['access_token', 'refresh_token', 'csrftoken']), 'x-csrftoken': jar.csrftoken ?? '' },
    })
    expect(logout.status).toBe(200)
    // The access token is still unexpired, but B refuses it on the very next request (shared revocation).
    const after = await fetch(`${b.url}/api/auth/me/`, { headers: { cookie: cookie(['access_token']) } })
    expect(after.status).toBe(401)
    const replay = await fetch(`${b.url}/api/auth/refresh/`, { method: 'POST', headers: { cookie: cookie(['refresh_token']) } })
    expect(replay.status).toBe(401)
  })

  it('counts failed logins across both servers', async () => {
    const wrong = { username: 'bob', password: 'wrong password' }
    // failuresPerUsernameIp = 4: two failures on each server lock bob for this IP on both.
    for (const server of [a, b, a, b]) {
      expect((await api(server.url, '/api/token/', { json: wrong })).status).toBe(401)
    }
    for (const server of [a, b]) {
      const locked = await api(server.url, '/api/token/', { json: { username: 'bob', password: PASSWORD } })
      expect(locked.status).toBe(429)
      expect(locked.body).toMatchObject({ code: 'throttled' })
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    }
    // The counters live in Redis, not in either process.
    const keys = await redisKeys(redis.url, 'cookiejwt:throttle:*')
    expect(keys.length).toBeGreaterThan(0)
  })

  it('deactivating a user on A ends their access on B within one request', async () => {
    const login = await api(a.url, '/api/token/', { json: { username: 'carol', password: PASSWORD } })
    const access = login.body?.access as string
    expect((await api(b.url, '/api/auth/me/', { bearer: access })).status).toBe(200)
    // The deactivation is an admin's write to the shared database (Django admin, or SQL as here).
    const client = new pg.Client({ connectionString: postgres.url })
    await client.connect()
    await client.query("update auth_user set is_active = false where username = 'carol'")
    await client.end()
    const after = await api(b.url, '/api/auth/me/', { bearer: access })
    expect(after.status).toBe(401)
    const refresh = await api(b.url, '/api/token/refresh/', { json: { refresh: login.body?.refresh } })
    expect(refresh.status).toBe(401)
  })

  it('50 concurrent refreshes of one token on both servers: one rotation, no 5xx, no lost rows', async () => {
    const login = await api(a.url, '/api/token/', { json: { username: 'dave', password: PASSWORD } })
    const refresh = login.body?.refresh as string
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api(i % 2 ? a.url : b.url, '/api/token/refresh/', { json: { refresh } }),
      ),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s >= 500)).toEqual([])
    for (const s of statuses) expect([200, 401]).toContain(s)
    const winners = results.filter((r) => r.status === 200)
    expect(winners.length).toBeGreaterThanOrEqual(1)
    // Exactly one successor: concurrent losers inside the grace window get the same pair, never a second family.
    const successors = new Set(winners.map((r) => r.body?.refresh as string))
    expect(successors.size).toBe(1)
    const [successor] = [...successors]

    const client = new pg.Client({ connectionString: postgres.url })
    await client.connect()
    try {
      const { rows } = await client.query<{ n: string }>(
        `select count(*) as n from token_blacklist_blacklistedtoken b
           join token_blacklist_outstandingtoken o on o.id = b.token_id
           join auth_user u on u.id = o.user_id where u.username = 'dave'`,
      )
      expect(rows[0]?.n).toBe('1') // the old token, blacklisted once
    } finally {
      await client.end()
    }
    // The one successor works.
    const next = await api(b.url, '/api/token/refresh/', { json: { refresh: successor } })
    expect(next.status).toBe(200)
  })
})

function cookiesOf(res: Response): Record<string, string> {
  const jar: Record<string, string> = {}
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const eq = (pair ?? '').indexOf('=')
    if (eq > 0) jar[(pair ?? '').slice(0, eq).trim()] = (pair ?? '').slice(eq + 1)
  }
  return jar
}

async function redisKeys(url: string, pattern: string): Promise<string[]> {
  const { Redis } = await import('ioredis')
  const client = new Redis(url)
  try {
    return await client.keys(pattern)
  } finally {
    client.disconnect()
  }
}
