import { Writable } from 'node:stream'
import { defineSettings, type AuthSettings, type User } from '@cookiejwt/core'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blacklistRefreshToken, endOtherSessions, loginWithPassword, refreshTokens, type FlowDeps } from '../../src/flows.js'
import { SessionManager } from '../../src/sessions/manager.js'
import { LoginThrottle } from '../../src/throttle/lockout.js'
import { DatabaseThrottleStore } from '../../src/throttle/store.js'
import { KyselyTokenStore } from '../../src/storage/tokens.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { fastHashers, PASSWORD, TEST_KEY } from '../helpers.js'
import { openTestDatabase, type TestDatabase } from '../services/dialects.js'

// The security events of the flows and the session manager, written by a real pino logger into a stream this test
// reads back: each event once, with its stable name and fields, and never a token, a password or a hash.
let database: TestDatabase
let settings: AuthSettings
let deps: FlowDeps
let ada: User
let now = new Date('2026-01-01T12:00:00Z')
const lines: string[] = []
const secrets: string[] = [PASSWORD, TEST_KEY]

beforeAll(async () => {
  database = await openTestDatabase('sqlite')
  settings = defineSettings({ signingKey: TEST_KEY, refreshGraceWindow: 0, throttle: { failuresPerUsernameIp: 3 } })
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      callback()
    },
  })
  const log = pino({ level: 'info' }, stream)
  const hashers = fastHashers()
  const users = new KyselyUserStore(database)
  const tokens = new KyselyTokenStore(database)
  const sessions = new SessionManager({ settings, database, tokens, log })
  const throttle = new LoginThrottle(settings.throttle, new DatabaseThrottleStore(database, { now: () => now.getTime() }))
  deps = { settings, users, tokens, hashers, sessions, throttle, log, now: () => now }
  const hash = await hashers.hash(PASSWORD)
  secrets.push(hash)
  ada = await users.create({ username: 'ada', email: 'ada@example.com', password: hash }, now)
  await users.create({ username: 'bob', email: 'bob@example.com', password: hash, isActive: false }, now)
})
afterAll(async () => {
  await database?.destroy()
})

const client = { ip: '203.0.113.9', userAgent: 'events-test/1.0' }
type Rec = Record<string, unknown>
const records = (): Rec[] => lines.map((l) => JSON.parse(l) as Rec)
const named = (event: string): Rec[] => records().filter((r) => r.event === event)
/** Runs `action` and returns the records it wrote. */
async function during(action: () => Promise<unknown>): Promise<Rec[]> {
  const before = lines.length
  await action().catch(() => {})
  return lines.slice(before).map((l) => JSON.parse(l) as Rec)
}

describe('security events', () => {
  it('login_succeeded names the user, the new session, the address and the user agent, at info', async () => {
    const [record, ...rest] = await during(() => loginWithPassword(deps, 'ada', PASSWORD, client))
    expect(rest).toEqual([])
    expect(record).toMatchObject({
      level: 30,
      event: 'login_succeeded',
      security: true,
      userId: ada.id,
      ip: client.ip,
      userAgent: client.userAgent,
      msg: 'login succeeded',
    })
    expect(record!.sessionId).toMatch(/^[0-9a-f]{32}$/)
    expect(typeof record!.time).toBe('number')
  })

  it('login_failed gives the reason and, for an account, its id; for an unknown name only a digest of it', async () => {
    const wrong = await during(() => loginWithPassword(deps, 'ada', 'not-the-password', client))
    expect(wrong).toEqual([expect.objectContaining({ event: 'login_failed', reason: 'wrong_password', userId: ada.id, ip: client.ip })])
    const unknown = await during(() => loginWithPassword(deps, 'Zephyr-Quartz-typed-in-the-wrong-field', 'x', client))
    expect(unknown).toEqual([expect.objectContaining({ event: 'login_failed', reason: 'unknown_user', level: 30 })])
    expect(unknown[0]).not.toHaveProperty('userId')
    expect(unknown[0]!.usernameDigest).toMatch(/^[0-9a-f]{16}$/)
    expect(JSON.stringify(unknown)).not.toContain('typed-in-the-wrong-field')
    const inactive = await during(() => loginWithPassword(deps, 'bob', PASSWORD, client))
    expect(inactive).toEqual([expect.objectContaining({ event: 'login_failed', reason: 'inactive' })])
  })

  it('lockout when a failure reaches a limit, then login_throttled for each refused attempt, at warn', async () => {
    const from = { ip: '198.51.100.4', userAgent: 'guesser' }
    await during(() => loginWithPassword(deps, 'ada', 'guess-1', from))
    await during(() => loginWithPassword(deps, 'ada', 'guess-2', from))
    const third = await during(() => loginWithPassword(deps, 'ada', 'guess-3', from))
    expect(third.map((r) => r.event)).toEqual(['login_failed', 'lockout'])
    expect(third[1]).toMatchObject({ level: 40, scope: ['username_ip'], ip: from.ip, msg: 'lockout: failure limit reached' })
    const refused = await during(() => loginWithPassword(deps, 'ada', PASSWORD, from))
    expect(refused).toEqual([
      expect.objectContaining({ event: 'login_throttled', level: 40, scope: ['username_ip'], ip: from.ip }),
    ])
    expect(refused[0]!.retryAfter).toBeGreaterThan(3000)
  })

  it('refresh_token_reuse, then session_revoked with reason reuse is not written twice', async () => {
    const { pair } = await loginWithPassword(deps, 'ada', PASSWORD, client)
    now = new Date(now.getTime() + 1000)
    await refreshTokens(deps, pair.refresh!.token, client)
    now = new Date(now.getTime() + 1000)
    const reuse = await during(() => refreshTokens(deps, pair.refresh!.token, client))
    expect(reuse).toEqual([
      expect.objectContaining({
        event: 'refresh_token_reuse',
        level: 40,
        userId: ada.id,
        sessionId: pair.refresh!.payload.sid,
        jti: pair.refresh!.jti,
        reason: 'reuse',
      }),
    ])
  })

  it('session_revoked on logout, with the reason', async () => {
    const { pair } = await loginWithPassword(deps, 'ada', PASSWORD, client)
    const out = await during(() => blacklistRefreshToken(deps, pair.refresh!.token))
    expect(out).toEqual([
      expect.objectContaining({ event: 'session_revoked', level: 30, userId: ada.id, sessionId: pair.refresh!.payload.sid, reason: 'logout' }),
    ])
  })

  it('password_changed with how many other sessions ended, plus one session_revoked for each', async () => {
    await loginWithPassword(deps, 'ada', PASSWORD, client)
    const { pair } = await loginWithPassword(deps, 'ada', PASSWORD, client)
    const token = (await import('@cookiejwt/core')).verifyAccessToken(settings, pair.access.token, { now })
    const active = (await deps.sessions!.list(ada.id, now)).length
    const changed = await during(() => endOtherSessions(deps, ada, { token, via: 'cookie' }, client))
    const summary = changed.filter((r) => r.event === 'password_changed')
    expect(summary).toEqual([
      expect.objectContaining({ level: 30, userId: ada.id, sessionId: pair.access.payload.sid, count: active - 1, via: 'cookie' }),
    ])
    expect(changed.filter((r) => r.event === 'session_revoked' && r.reason === 'password_change')).toHaveLength(active - 1)
  })

  it('no record holds a token, a password, a hash or the signing key', () => {
    expect(named('login_succeeded').length).toBeGreaterThan(0)
    const tokenLike = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/
    for (const line of lines) {
      expect(line).not.toMatch(tokenLike)
      expect(line).not.toMatch(/pbkdf2_sha256\$|argon2/)
      for (const secret of secrets) expect(line).not.toContain(secret)
      // Every record is an event of the documented set.
      expect(JSON.parse(line).security).toBe(true)
    }
  })
})

describe('security events over HTTP (the server writes them through its pino logger)', () => {
  it('access_denied for a refused CSRF check, with the reason and the path, and the user agent stays one JSON string', async () => {
    const { startSessionServer } = await import('../sessions/server.js')
    const server = await startSessionServer()
    try {
      await server.createUser('csrf-victim')
      const { Client } = await import('../helpers.js')
      const browser = new Client(server.url, { csrf: false })
      expect((await browser.post('/api/auth/login/', { username: 'csrf-victim', password: PASSWORD })).status).toBe(200)
      const agent = 'evil\n{"event":"login_succeeded","forged":true}'
      const res = await browser.request('POST', '/api/auth/sessions/revoke-others/?x=1', { json: {}, headers: { 'user-agent': agent.replace('\n', ' ') } })
      expect(res.status).toBe(403)
      const records = server.logs.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
      const denied = records.filter((r) => r.event === 'access_denied')
      expect(denied).toEqual([
        expect.objectContaining({
          level: 40,
          security: true,
          path: '/api/auth/sessions/revoke-others/',
          method: 'POST',
          ip: '127.0.0.1',
          reason: expect.stringMatching(/^CSRF Failed: /),
        }),
      ])
      expect(records.some((r) => r.forged === true)).toBe(false)
      for (const line of server.logs) expect(line).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./)
    } finally {
      await server.close()
    }
  })
})

describe('security events of the CLI (pino records on stderr)', () => {
  async function cli(args: string[], env: NodeJS.ProcessEnv) {
    const { PassThrough } = await import('node:stream')
    const { main } = await import('../../src/cli/index.js')
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    let out = ''
    let err = ''
    stdout.on('data', (c) => (out += c))
    stderr.on('data', (c) => (err += c))
    const code = await main(args, { env, stdout, stderr })
    return { code, out, err }
  }

  it('keys generate, rotate and activate each write their event with the kid and algorithm, never key material', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-keys-events-'))
    const file = join(dir, 'keys.json')
    const env = { COOKIEJWT_KEYS_FILE: file, COOKIEJWT_DATA_DIR: dir }
    const events: Record<string, unknown>[] = []
    let stderr = ''
    const run = async (...args: string[]) => {
      const r = await cli(['keys', ...args], env)
      expect(r.code, r.err).toBe(0)
      stderr += r.err
      events.push(...r.err.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>))
      return r
    }
    await run('generate')
    await run('rotate', '--alg', 'ES256')
    const staged = await run('rotate', '--stage')
    const stagedKid = /activate (\S+)'/.exec(staged.out)![1]!
    await run('activate', stagedKid)
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { keys: { kid: string; algorithm: string; key: string }[] }
    expect(events.map((e) => [e.event, e.command, e.security, e.level])).toEqual([
      ['signing_keys_generated', 'keys', true, 30],
      ['signing_key_rotated', 'keys', true, 30],
      ['signing_key_rotated', 'keys', true, 30],
      ['signing_key_activated', 'keys', true, 30],
    ])
    expect(events.map((e) => e.kid)).toEqual([stored.keys[0]!.kid, stored.keys[1]!.kid, stagedKid, stagedKid])
    expect(events[1]).toMatchObject({ algorithm: 'ES256', reason: 'signing' })
    expect(events[2]).toMatchObject({ reason: 'staged' })
    for (const key of stored.keys) {
      // Neither the PEM nor its base64 body appears anywhere in the log.
      expect(stderr).not.toContain(key.key)
      expect(stderr).not.toContain(key.key.split('\n').find((l) => l.length > 40 && !l.startsWith('-----')) ?? key.key)
    }
    expect(stderr).not.toMatch(/PRIVATE KEY/)
  })
})
