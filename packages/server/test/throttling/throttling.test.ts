import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/index.js'
import { CodeThrottle, mfaThrottleKey } from '../../src/mfa/throttle.js'
import { RedisConnection } from '../../src/redis/connection.js'
import { RedisThrottleStore } from '../../src/redis/throttle.js'
import { throttleKeys } from '../../src/throttle/lockout.js'
import { DatabaseThrottleStore } from '../../src/throttle/store.js'
import { startRedis } from '../services/index.js'
import { TEST_KEY } from '../helpers.js'
import { PASSWORD, sendFrom, startSessionServer, type SessionServer } from '../sessions/server.js'

let server: SessionServer
// Distinct loopback source addresses per test so counters never leak between cases.
let nextIp = 10
const freshIp = () => `127.0.9.${nextIp++}`

beforeAll(async () => {
  server = await startSessionServer({ throttle: { failuresPerUsernameIp: 5, failuresPerUsername: 12, failuresPerIp: 20, window: '15m' } })
  for (const name of ['ann', 'ben', 'cal', 'dot', 'eli']) await server.createUser(name)
})
afterAll(async () => {
  await server?.close()
})

const login = (ip: string, username: string, password: string, path = '/api/auth/login/') =>
  sendFrom(ip, server.url, 'POST', path, { json: { username, password } })

function expectThrottled(res: Awaited<ReturnType<typeof login>>) {
  expect(res.status).toBe(429)
  const retry = Number(res.headers.get('retry-after'))
  expect(Number.isInteger(retry)).toBe(true)
  expect(retry).toBeGreaterThan(800)
  expect(retry).toBeLessThanOrEqual(900)
  expect(res.json).toEqual({ detail: `Request was throttled. Expected available in ${retry} seconds.`, code: 'throttled' })
  expect(res.cookie('access_token')).toBeUndefined()
  expect(res.cookie('refresh_token')).toBeUndefined()
}

describe('login lockout', () => {
  it('locks a username for one IP after the failures limit, even for the right password', async () => {
    const ip = freshIp()
    for (let i = 0; i < 5; i++) expect((await login(ip, 'ann', 'wrong-password')).status).toBe(401)
    expectThrottled(await login(ip, 'ann', 'wrong-password'))
    expectThrottled(await login(ip, 'ann', PASSWORD))
    // The Bearer endpoint shares the counters.
    expectThrottled(await login(ip, 'ann', PASSWORD, '/api/token/'))
  })

  it('does not lock the user out for another IP', async () => {
    const attacker = freshIp()
    for (let i = 0; i < 6; i++) await login(attacker, 'ben', 'wrong-password')
    expectThrottled(await login(attacker, 'ben', PASSWORD))
    expect((await login(freshIp(), 'ben', PASSWORD)).status).toBe(200)
  })

  it('treats unknown usernames exactly like known ones (no enumeration by lockout)', async () => {
    const ip = freshIp()
    const known: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 7; i++) {
      known.push((await login(ip, 'cal', 'wrong-password')).status)
      unknown.push((await login(ip, 'nobody-at-all', 'wrong-password')).status)
    }
    expect(known).toEqual([401, 401, 401, 401, 401, 429, 429])
    expect(unknown).toEqual(known)
    const a = await login(ip, 'cal', 'wrong-password')
    const b = await login(ip, 'nobody-at-all', 'wrong-password')
    expect(b.json).toEqual(a.json)
    expect(Math.abs(Number(a.headers.get('retry-after')) - Number(b.headers.get('retry-after')))).toBeLessThanOrEqual(1)
  })

  it('never counts successes, and a success does not clear other IPs counters', async () => {
    const ip = freshIp()
    for (let i = 0; i < 25; i++) expect((await login(ip, 'dot', PASSWORD)).status).toBe(200)
    const attacker = freshIp()
    for (let i = 0; i < 5; i++) await login(attacker, 'dot', 'wrong-password')
    expect((await login(freshIp(), 'dot', PASSWORD)).status).toBe(200)
    expectThrottled(await login(attacker, 'dot', PASSWORD))
  })

  it('locks a username everywhere after failuresPerUsername from many IPs', async () => {
    await server.createUser('fin')
    for (let i = 0; i < 12; i++) expect((await login(freshIp(), 'fin', 'wrong-password')).status).toBe(401)
    expectThrottled(await login(freshIp(), 'fin', PASSWORD))
  })

  it('locks an IP after failuresPerIp, whatever the usernames', async () => {
    const ip = freshIp()
    for (let i = 0; i < 20; i++) expect((await login(ip, `spray-${i}`, 'wrong-password')).status).toBe(401)
    expectThrottled(await login(ip, 'eli', PASSWORD))
    expect((await login(freshIp(), 'eli', PASSWORD)).status).toBe(200)
  })
})

describe('refresh throttling', () => {
  it('counts failed refreshes per IP; a throttled cookie refresh does not clear the cookies', async () => {
    const ip = freshIp()
    const ok = await login(ip, 'eli', PASSWORD)
    const refreshCookie = ok.cookie('refresh_token')!.value
    for (let i = 0; i < 20; i++) {
      const res = await sendFrom(ip, server.url, 'POST', '/api/token/refresh/', { json: { refresh: `garbage.${i}.x` } })
      expect(res.status).toBe(401)
    }
    const res = await sendFrom(ip, server.url, 'POST', '/api/auth/refresh/', { headers: { cookie: `refresh_token=${refreshCookie}` } })
    expectThrottled(res)
    expect(res.headers.get('set-cookie')).toBeNull()
    // Another IP with the same valid token is unaffected.
    const other = await sendFrom(freshIp(), server.url, 'POST', '/api/auth/refresh/', { headers: { cookie: `refresh_token=${refreshCookie}` } })
    expect(other.status).toBe(200)
  })
})

describe('clearlockout', () => {
  const run = async (...args: string[]) => {
    let out = ''
    let err = ''
    const sink = (f: (s: string) => void) => ({ write: (s: string) => (f(s), true) }) as unknown as NodeJS.WritableStream
    const code = await main(['clearlockout', ...args], {
      env: { DATABASE_URL: server.databaseUrl, COOKIEJWT_SIGNING_KEY: TEST_KEY },
      stdout: sink((s) => (out += s)),
      stderr: sink((s) => (err += s)),
    })
    return { code, out, err }
  }

  it('clears one username, one IP, or everything', async () => {
    await server.createUser('gil')
    const ip = freshIp()
    for (let i = 0; i < 6; i++) await login(ip, 'gil', 'wrong-password')
    expectThrottled(await login(ip, 'gil', PASSWORD))
    const byUser = await run('gil')
    expect(byUser.code).toBe(0)
    expect(byUser.out).toMatch(/Cleared lockouts of username "gil" \(2 counters\)/)
    expect((await login(ip, 'gil', PASSWORD)).status).toBe(200)

    const sprayer = freshIp()
    for (let i = 0; i < 20; i++) await login(sprayer, `x-${i}`, 'wrong-password')
    expectThrottled(await login(sprayer, 'gil', PASSWORD))
    const byIp = await run('--ip', sprayer)
    expect(byIp.code).toBe(0)
    expect((await login(sprayer, 'gil', PASSWORD)).status).toBe(200)

    for (let i = 0; i < 6; i++) await login(ip, 'gil', 'wrong-password')
    expect((await run('--all')).code).toBe(0)
    expect((await login(ip, 'gil', PASSWORD)).status).toBe(200)
  })

  it("clears the user's wrong TOTP codes too, so a user locked out of the second step can sign in again", async () => {
    const ivy = await server.createUser('ivy')
    // The server's own code throttle on its own table: five wrong codes lock the user from every IP.
    const codes = new CodeThrottle(server.settings, new DatabaseThrottleStore(server.database))
    for (let i = 0; i < server.settings.mfa.failuresPerUser; i++) {
      expect(await (await codes.begin(ivy.id, freshIp())).failed()).toEqual(i === 4 ? ['mfa_user'] : [])
    }
    await expect(codes.begin(ivy.id, freshIp())).rejects.toMatchObject({ code: 'throttled' })
    const other = await server.createUser('jon')
    await (await codes.begin(other.id, freshIp())).failed()

    const cleared = await run('ivy')
    expect(cleared.code).toBe(0)
    expect(cleared.out).toBe('Cleared lockouts of username "ivy" (1 counter).\n')
    expect(await new DatabaseThrottleStore(server.database).peek(mfaThrottleKey(ivy.id))).toBeNull()
    const attempt = await codes.begin(ivy.id, freshIp())
    await attempt.succeeded()
    // Another user's code counter is untouched, and an unknown username clears nothing of anyone's.
    expect((await new DatabaseThrottleStore(server.database).peek(mfaThrottleKey(other.id)))?.count).toBe(1)
    expect((await run('nobody-here')).out).toBe('Cleared lockouts of username "nobody-here" (0 counters).\n')
    expect((await new DatabaseThrottleStore(server.database).peek(mfaThrottleKey(other.id)))?.count).toBe(1)
  })

  it('clears the counters in Redis too when REDIS_URL is set (where serve counts then)', async () => {
    const redis = await startRedis()
    const connection = new RedisConnection({ url: redis.url })
    try {
      const store = new RedisThrottleStore(connection)
      const hal = await server.createUser('hal')
      const keys = [throttleKeys.username('hal'), throttleKeys.usernameIp('hal', '127.0.0.5'), mfaThrottleKey(hal.id), throttleKeys.ip('127.0.0.6')]
      for (const key of keys) await store.hit(key, 60_000)
      let out = ''
      const sink = { write: (t: string) => ((out += t), true) } as unknown as NodeJS.WritableStream
      const env = { DATABASE_URL: server.databaseUrl, COOKIEJWT_SIGNING_KEY: TEST_KEY, REDIS_URL: redis.url }
      expect(await main(['clearlockout', 'hal'], { env, stdout: sink, stderr: sink })).toBe(0)
      expect(out).toMatch(/Cleared lockouts of username "hal" \(3 counters\)/)
      expect(await store.peek(throttleKeys.username('hal'))).toBeNull()
      expect(await store.peek(mfaThrottleKey(hal.id))).toBeNull()
      expect(await store.peek(throttleKeys.ip('127.0.0.6'))).not.toBeNull()
      expect(await main(['clearlockout', '--ip', '127.0.0.6'], { env, stdout: sink, stderr: sink })).toBe(0)
      expect(await store.peek(throttleKeys.ip('127.0.0.6'))).toBeNull()
    } finally {
      await connection.close()
      await redis.stop()
    }
  })

  it('refuses ambiguous or bad arguments with a non-zero exit code', async () => {
    expect((await run()).code).toBe(1)
    expect((await run('gil', '--all')).code).toBe(1)
    expect((await run('--ip', '1.2.3.4; drop table')).code).toBe(1)
  })
})

describe('the database counter', () => {
  it('counts concurrent hits atomically and restarts after the window', async () => {
    let now = 1_000_000
    const store = new DatabaseThrottleStore(server.database, { now: () => now })
    const counts = await Promise.all(Array.from({ length: 25 }, () => store.hit('test:atomic', 60_000)))
    expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
    expect(await store.peek('test:atomic')).toEqual({ count: 25, resetInMs: 60_000 })
    now += 60_000
    expect(await store.peek('test:atomic')).toBeNull()
    expect(await store.hit('test:atomic', 60_000)).toEqual({ count: 1, resetInMs: 60_000 })
  })
})
