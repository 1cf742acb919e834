import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DatabaseThrottleStore } from '../../src/throttle/store.js'
import { openTestDatabase, TEST_DIALECTS, type TestDatabase } from '../services/dialects.js'

// The database ThrottleStore (several processes without Redis) on every dialect: one atomic upsert per hit.
for (const dialect of TEST_DIALECTS) {
  describe(`DatabaseThrottleStore (${dialect})`, () => {
    let database: TestDatabase
    let now: number
    let store: DatabaseThrottleStore

    beforeEach(async () => {
      database = await openTestDatabase(dialect)
      now = 1_700_000_000_000
      store = new DatabaseThrottleStore(database, { now: () => now })
    })
    afterEach(() => database.destroy())

    it('counts within a window and starts again after it', async () => {
      expect(await store.hit('k', 1000)).toEqual({ count: 1, resetInMs: 1000 })
      now += 400
      expect(await store.hit('k', 1000)).toEqual({ count: 2, resetInMs: 600 })
      expect(await store.peek('k')).toEqual({ count: 2, resetInMs: 600 })
      now += 600
      expect(await store.peek('k')).toBeNull()
      expect(await store.hit('k', 1000)).toEqual({ count: 1, resetInMs: 1000 })
    })

    it('counts 50 concurrent hits exactly once each', async () => {
      const hits = await Promise.all(Array.from({ length: 50 }, () => store.hit('c', 60_000)))
      expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    })

    it('releases one hit, never below zero, never into an ended window, never creating a counter', async () => {
      await store.hit('r', 1000)
      await store.hit('r', 1000)
      await store.release('r')
      expect(await store.peek('r')).toEqual({ count: 1, resetInMs: 1000 })
      await store.release('r')
      await store.release('r')
      expect(await store.peek('r')).toEqual({ count: 0, resetInMs: 1000 })
      await store.release('absent')
      expect(await store.peek('absent')).toBeNull()
      await store.hit('r', 1000)
      now += 1000
      await store.release('r')
      expect(await store.hit('r', 1000)).toEqual({ count: 1, resetInMs: 1000 })
    })

    it('resets and clears counters by key, prefix and suffix', async () => {
      for (const key of ['uip:aa:1.2.3.4', 'uip:aa:5.6.7.8', 'u:aa', 'ip:1.2.3.4']) await store.hit(key, 60_000)
      await store.reset('u:aa')
      expect(await store.peek('u:aa')).toBeNull()
      expect(await store.clear({ prefix: 'uip:aa:' })).toBe(2)
      expect(await store.clear({ suffix: ':1.2.3.4' })).toBe(1)
      expect(await store.clear({})).toBe(0)
    })
  })
}
