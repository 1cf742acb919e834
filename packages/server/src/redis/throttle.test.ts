import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedis, type ServiceHandle } from '../../test/services/index.js'
import { RedisConnection } from './connection.js'
import { MemoryThrottleStore, RedisThrottleStore, type ThrottleStore } from './throttle.js'

let server: ServiceHandle
const connections: RedisConnection[] = []
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  for (const c of connections) await c.close()
  await server?.stop()
})

function redisStore(prefix = 'test:'): RedisThrottleStore {
  const connection = new RedisConnection({ url: server.url, keyPrefix: prefix })
  connections.push(connection)
  return new RedisThrottleStore(connection)
}

const stores: Array<[string, () => ThrottleStore]> = [
  ['MemoryThrottleStore', () => new MemoryThrottleStore()],
  ['RedisThrottleStore', () => redisStore(`t${Math.random()}:`)],
]

for (const [name, makeStore] of stores) {
  describe(name, () => {
    it('counts hits per key within a window', async () => {
      const store = makeStore()
      expect(await store.hit('a', 60_000)).toMatchObject({ count: 1 })
      expect(await store.hit('a', 60_000)).toMatchObject({ count: 2 })
      const third = await store.hit('a', 60_000)
      expect(third.count).toBe(3)
      expect(third.resetInMs).toBeGreaterThan(59_000)
      expect(third.resetInMs).toBeLessThanOrEqual(60_000)
      expect(await store.hit('b', 60_000)).toMatchObject({ count: 1 })
    })

    it('starts again from zero after the window', async () => {
      const store = makeStore()
      await store.hit('w', 100)
      expect(await store.hit('w', 100)).toMatchObject({ count: 2 })
      await new Promise((r) => setTimeout(r, 150))
      expect(await store.hit('w', 100)).toMatchObject({ count: 1 })
    })

    it('release() takes back one hit, never below zero, and never creates a counter', async () => {
      const store = makeStore()
      await store.hit('rel', 60_000)
      await store.hit('rel', 60_000)
      await store.release('rel')
      expect(await store.peek('rel')).toMatchObject({ count: 1 })
      await store.release('rel')
      await store.release('rel')
      expect(await store.peek('rel')).toMatchObject({ count: 0 })
      expect(await store.hit('rel', 60_000)).toMatchObject({ count: 1 })
      await store.release('none')
      expect(await store.peek('none')).toBeNull()
    })

    it('reset() forgets a counter', async () => {
      const store = makeStore()
      await store.hit('r', 60_000)
      await store.hit('r', 60_000)
      await store.reset('r')
      expect(await store.hit('r', 60_000)).toMatchObject({ count: 1 })
    })

    it('peek() reads a counter without counting; null when absent or over', async () => {
      const store = makeStore()
      expect(await store.peek('p')).toBeNull()
      await store.hit('p', 60_000)
      await store.hit('p', 60_000)
      const seen = await store.peek('p')
      expect(seen?.count).toBe(2)
      expect(seen?.resetInMs).toBeGreaterThan(59_000)
      expect((await store.peek('p'))?.count).toBe(2)
      await store.hit('short', 50)
      await new Promise((r) => setTimeout(r, 80))
      expect(await store.peek('short')).toBeNull()
    })

    it('clear() forgets one key, a prefix/suffix family, or everything', async () => {
      const store = makeStore()
      for (const key of [
        'uip:aa:1.2.3.4',
        'uip:aa:5.6.7.8',
        'uip:bb:1.2.3.4',
        'u:aa',
        'ip:1.2.3.4',
        'x*[?]',
      ]) {
        await store.hit(key, 60_000)
      }
      expect(await store.clear({ key: 'u:aa' })).toBe(1)
      expect(await store.peek('u:aa')).toBeNull()
      expect(await store.clear({ prefix: 'uip:aa:' })).toBe(2)
      expect(await store.peek('uip:bb:1.2.3.4')).not.toBeNull()
      expect(await store.clear({ suffix: ':1.2.3.4' })).toBe(2) // uip:bb:1.2.3.4 and ip:1.2.3.4
      expect(await store.peek('ip:1.2.3.4')).toBeNull()
      // Glob characters in keys are literal: 'x*' matches only keys starting with "x*".
      await store.hit('xyz', 60_000)
      expect(await store.clear({ prefix: 'x*' })).toBe(1)
      expect(await store.peek('xyz')).not.toBeNull()
      await store.hit('other', 60_000)
      expect(await store.clear({})).toBe(2)
      expect(await store.peek('xyz')).toBeNull()
    })

    it('counts 50 concurrent hits exactly once each', async () => {
      const store = makeStore()
      const hits = await Promise.all(Array.from({ length: 50 }, () => store.hit('c', 60_000)))
      expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      )
    })
  })
}

describe('RedisThrottleStore across processes', () => {
  it('shares counters between two connections (two servers)', async () => {
    const a = redisStore('shared:')
    const b = redisStore('shared:')
    await a.hit('login:ada', 60_000)
    await b.hit('login:ada', 60_000)
    expect(await a.hit('login:ada', 60_000)).toMatchObject({ count: 3 })
  })

  it('never leaves a counter without an expiry', async () => {
    const connection = new RedisConnection({ url: server.url, keyPrefix: 'ttl:' })
    connections.push(connection)
    const store = new RedisThrottleStore(connection)
    await store.hit('k', 5000)
    const ttl = await connection.run((c) => c.pttl('ttl:throttle:k'))
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(5000)
  })
})

describe('MemoryThrottleStore', () => {
  it('follows an injected clock', async () => {
    let now = 1_000_000
    const store = new MemoryThrottleStore({ now: () => now })
    expect(await store.hit('k', 1000)).toEqual({ count: 1, resetInMs: 1000 })
    now += 400
    expect(await store.hit('k', 1000)).toEqual({ count: 2, resetInMs: 600 })
    now += 600
    expect(await store.hit('k', 1000)).toEqual({ count: 1, resetInMs: 1000 })
  })

  it('stays bounded under a flood of distinct keys', async () => {
    const store = new MemoryThrottleStore({ maxKeys: 10 })
    for (let i = 0; i < 100; i++) await store.hit(`k${i}`, 60_000)
    // The newest counter is intact; the oldest was dropped rather than memory growing.
    expect(await store.hit('k99', 60_000)).toMatchObject({ count: 2 })
    expect(await store.hit('k0', 60_000)).toMatchObject({ count: 1 })
  })
})
