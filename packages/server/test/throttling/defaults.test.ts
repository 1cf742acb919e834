import { DEFAULT_SETTINGS } from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, sendFrom, startSessionServer, type SessionServer } from '../sessions/server.js'

// The default throttling settings against a real listening server, driven from many real source addresses
// (127.0.0.0/8 is all loopback on Linux), with no proxy trusted. Nothing here overrides a throttle setting.
let server: SessionServer
let nextHost = 1
/** A loopback address no other test of this file has used. */
const freshIp = () => {
  const n = nextHost++
  return `127.${20 + Math.floor(n / 250)}.${n % 250}.1`
}

beforeAll(async () => {
  server = await startSessionServer()
  for (const name of ['victim', 'other', 'bystander']) await server.createUser(name)
})
afterAll(async () => {
  await server?.close()
})

const login = (ip: string, username: string, password: string, headers: Record<string, string> = {}) =>
  sendFrom(ip, server.url, 'POST', '/api/auth/login/', { json: { username, password }, headers })

/** Sends `count` wrong-password logins for `username` at once, each from its own fresh address. */
async function burst(username: string, count: number): Promise<number[]> {
  const all = await Promise.all(Array.from({ length: count }, () => login(freshIp(), username, 'wrong-guess')))
  return all.map((r) => r.status)
}

const tally = (statuses: number[]) => ({
  checked: statuses.filter((s) => s === 401).length,
  throttled: statuses.filter((s) => s === 429).length,
  other: statuses.filter((s) => s !== 401 && s !== 429).length,
})

describe('throttling defaults', () => {
  it('are one hour, 10 per username and address, 50 per username, 30 per address', () => {
    expect(server.settings.throttle).toEqual({
      enabled: true,
      window: 3600,
      failuresPerUsernameIp: 10,
      failuresPerUsername: 50,
      failuresPerIp: 30,
    })
    expect(DEFAULT_SETTINGS.throttle).toEqual(server.settings.throttle)
  })

  it('check at most 50 guesses against one account in a window, even from 200 addresses at once', async () => {
    const first = tally(await burst('victim', 200))
    expect(first).toEqual({ checked: 50, throttled: 150, other: 0 })
    // Locked everywhere: the right password from an address that never failed is refused too.
    expect((await login(freshIp(), 'victim', PASSWORD)).status).toBe(429)
    // Another account is untouched.
    expect((await login(freshIp(), 'other', PASSWORD)).status).toBe(200)
  })

  it('allow at most 100 failed attempts against one account in any hour, across two windows', async () => {
    await server.createUser('target')
    // The window of "target" starts with one failure; the attacker then bursts in its last 30 seconds and in the
    // first seconds of the next window: the worst hour an attacker can arrange.
    expect((await login(freshIp(), 'target', 'wrong-guess')).status).toBe(401)
    server.advance(3600 - 30)
    const endOfFirst = tally(await burst('target', 200))
    expect(endOfFirst).toEqual({ checked: 49, throttled: 151, other: 0 })
    server.advance(31)
    const startOfSecond = tally(await burst('target', 200))
    expect(startOfSecond).toEqual({ checked: 50, throttled: 150, other: 0 })
    expect(1 + endOfFirst.checked + startOfSecond.checked).toBeLessThanOrEqual(100)
    // Nothing more until that second window ends, an hour after it began.
    server.advance(3600 - 60)
    expect(tally(await burst('target', 50)).checked).toBe(0)
    expect((await login(freshIp(), 'target', PASSWORD)).status).toBe(429)
    server.advance(61)
    expect((await login(freshIp(), 'target', PASSWORD)).status).toBe(200)
  })
})

describe('a password spray from one address, with no proxy trusted', () => {
  const spoofs = (i: number): Record<string, string> => ({
    'x-forwarded-for': `203.0.113.${i % 250}, 198.51.100.${(i * 7) % 250}`,
    'x-real-ip': `192.0.2.${i % 250}`,
    forwarded: `for=198.51.100.${i % 250};proto=https, for="[2001:db8::${i.toString(16)}]"`,
  })

  it('is stopped after 30 guesses whatever it puts in X-Forwarded-For, X-Real-IP and Forwarded', async () => {
    const ip = freshIp()
    const statuses: number[] = []
    for (let i = 0; i < 45; i++) statuses.push((await login(ip, `spray-${i}`, 'Summer2024!', spoofs(i))).status)
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401))
    expect(statuses.slice(30)).toEqual(Array(15).fill(429))
    // The address is locked, whatever account it names next and whatever it claims to be.
    expect((await login(ip, 'bystander', PASSWORD, spoofs(99))).status).toBe(429)
    // Every other address is not: the lock is on the socket's address, not on a header.
    expect((await login(freshIp(), 'bystander', PASSWORD, spoofs(0))).status).toBe(200)
  })

  it('is stopped after 30 guesses when it sends them all at once', async () => {
    const ip = freshIp()
    const all = await Promise.all(
      Array.from({ length: 120 }, (_, i) => login(ip, `burst-${i}`, 'Winter2024!', spoofs(i))),
    )
    expect(tally(all.map((r) => r.status))).toEqual({ checked: 30, throttled: 90, other: 0 })
  })

  it('does not hold a lock against the address after an hour', async () => {
    const ip = freshIp()
    for (let i = 0; i < 30; i++) await login(ip, `later-${i}`, 'Autumn2024!', spoofs(i))
    expect((await login(ip, 'bystander', PASSWORD)).status).toBe(429)
    server.advance(3601)
    expect((await login(ip, 'bystander', PASSWORD)).status).toBe(200)
  })
})
