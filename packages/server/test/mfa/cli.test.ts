import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { defineSettings } from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CodeThrottle, confirmTotp, generateTotpCode, KyselyMfaStore, MfaKeyRing, setupTotp } from '../../src/mfa/index.js'
import { mfaThrottleKey } from '../../src/mfa/throttle.js'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { DatabaseThrottleStore } from '../../src/throttle/store.js'
import { openRedisServices } from '../../src/redis/services.js'
import { fastHashers, TEST_KEY } from '../helpers.js'
import { startRedis } from '../services/index.js'

const BIN = resolve(import.meta.dirname, '../../bin/cookiejwt.js')
const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-mfa-cli-'))
const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: `sqlite:${join(dir, 'db.sqlite3')}`, COOKIEJWT_SIGNING_KEY: TEST_KEY }
const cli = (args: string[], extra: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, cwd: dir, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

let handle: DatabaseHandle
beforeAll(async () => {
  handle = await openDatabase(env.DATABASE_URL)
  await migrateToLatest(handle)
  const settings = defineSettings({ signingKey: TEST_KEY })
  const users = new KyselyUserStore(handle)
  const hashers = fastHashers()
  const ada = await users.create({ username: 'ada', email: '', password: await hashers.hash('pw') }, new Date())
  await users.create({ username: 'bob', email: '', password: await hashers.hash('pw') }, new Date())
  const throttleStore = new DatabaseThrottleStore(handle)
  const deps = {
    settings,
    store: new KyselyMfaStore(handle),
    keyRing: new MfaKeyRing([TEST_KEY]),
    hashers,
    codeThrottle: new CodeThrottle(settings, throttleStore),
  }
  const now = new Date()
  const { secret } = await setupTotp(deps, ada, { now, ip: '127.0.0.1' })
  await confirmTotp(deps, ada, await generateTotpCode(secret, now), { now, ip: '127.0.0.1' })
  await throttleStore.hit(mfaThrottleKey(ada.id), 60_000)
})
afterAll(async () => {
  await handle?.destroy()
  rmSync(dir, { recursive: true, force: true })
})

describe('cookiejwt mfa', { timeout: 60_000 }, () => {
  it('shows the status, turns TOTP off for a user who lost the phone, and says when it was not on', async () => {
    expect(cli(['mfa', 'status', 'ada'])).toMatchObject({ code: 0, stdout: "Two-factor authentication for 'ada': on, 10 backup codes left.\n" })
    expect(cli(['mfa', 'status', 'bob']).stdout).toBe("Two-factor authentication for 'bob': off.\n")
    expect(cli(['mfa', 'disable', 'ada'])).toMatchObject({
      code: 0,
      stdout: "Two-factor authentication turned off for 'ada': secret and backup codes removed.\n",
    })
    expect(cli(['mfa', 'status', 'ada']).stdout).toBe("Two-factor authentication for 'ada': off.\n")
    expect(await new DatabaseThrottleStore(handle).peek('mfa:u:1')).toBeNull()
    expect(cli(['mfa', 'disable', 'ada']).stdout).toBe("Two-factor authentication was not on for 'ada'.\n")
  })

  it('with REDIS_URL also forgets the wrong codes counted in Redis, where the servers count them', async () => {
    const server = await startRedis()
    const redis = openRedisServices(server.url)
    try {
      const bob = await new KyselyUserStore(handle).findByUsername('bob')
      const key = mfaThrottleKey(bob!.id)
      await redis.throttleStore.hit(key, 60_000)
      expect(await redis.throttleStore.peek(key)).not.toBeNull()
      expect(cli(['mfa', 'disable', 'bob'], { REDIS_URL: server.url })).toMatchObject({
        code: 0,
        stdout: "Two-factor authentication was not on for 'bob'.\n",
      })
      expect(await redis.throttleStore.peek(key)).toBeNull()
    } finally {
      await redis.close()
      await server.stop()
    }
  })

  it('refuses unknown users and bad arguments with one line and a non-zero exit', () => {
    const unknown = cli(['mfa', 'disable', 'nobody'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1)
    expect(unknown.stderr).toContain('user "nobody" does not exist')
    for (const args of [['mfa'], ['mfa', 'status'], ['mfa', 'wipe', 'ada'], ['mfa', 'status', 'ada', 'extra']]) {
      const r = cli(args)
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain('usage: cookiejwt mfa status USERNAME | cookiejwt mfa disable USERNAME')
    }
  })
})
