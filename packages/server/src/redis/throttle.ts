import type { RedisConnection } from './connection.js'
import type { ThrottleHit, ThrottleStore } from '../throttle/throttle-store.js'

// Re-exported for older imports; the interface lives in throttle/throttle-store.ts.
export type { ThrottleHit, ThrottleStore }

// INCR and PEXPIRE in one atomic step: a counter can never be left without an expiry, and the
// window starts at the first hit. A key that somehow lost its TTL gets one again.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`

// DECR only an existing counter that is above zero: a release never creates a key or goes negative.
const RELEASE_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`

const PEEK_SCRIPT = `
local count = redis.call('GET', KEYS[1])
if not count then return false end
return {tonumber(count), redis.call('PTTL', KEYS[1])}
`

/** Escapes Redis glob metacharacters so a key fragment matches only itself in SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/** Throttling counters in Redis (one key per counter, expiring with its window). */
export class RedisThrottleStore implements ThrottleStore {
  readonly #redis: RedisConnection

  constructor(redis: RedisConnection) {
    this.#redis = redis
  }

  async hit(key: string, windowMs: number): Promise<ThrottleHit> {
    const windowArg = String(Math.max(1, Math.ceil(windowMs)))
    const reply = await this.#redis.run(
      (client) =>
        client.eval(HIT_SCRIPT, 1, this.#key(key), windowArg) as Promise<[number, number]>,
    )
    return { count: Number(reply[0]), resetInMs: Math.max(0, Number(reply[1])) }
  }

  async reset(key: string): Promise<void> {
    await this.#redis.run((client) => client.del(this.#key(key)))
  }

  async release(key: string): Promise<void> {
    await this.#redis.run((client) => client.eval(RELEASE_SCRIPT, 1, this.#key(key)))
  }

  async peek(key: string): Promise<ThrottleHit | null> {
    const reply = await this.#redis.run(
      (client) => client.eval(PEEK_SCRIPT, 1, this.#key(key)) as Promise<[number, number] | null>,
    )
    if (!reply || Number(reply[1]) <= 0) return null
    return { count: Number(reply[0]), resetInMs: Number(reply[1]) }
  }

  async clear(match: { key?: string; prefix?: string; suffix?: string }): Promise<number> {
    if (match.key !== undefined) {
      const key = match.key
      return this.#redis.run((client) => client.del(this.#key(key)))
    }
    const pattern = `${escapeGlob(this.#key(match.prefix ?? ''))}*${escapeGlob(match.suffix ?? '')}`
    return this.#redis.run(async (client) => {
      let cursor = '0'
      let removed = 0
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
        cursor = next
        if (keys.length > 0) removed += await client.del(...keys)
      } while (cursor !== '0')
      return removed
    })
  }

  #key(key: string): string {
    return `${this.#redis.keyPrefix}throttle:${key}`
  }
}

/** Throttling counters in this process's memory: correct for a single server process only. */
export class MemoryThrottleStore implements ThrottleStore {
  readonly #counters = new Map<string, { count: number; resetAt: number }>()
  readonly #now: () => number
  readonly #maxKeys: number

  /** `now` returns epoch milliseconds (a test clock); `maxKeys` bounds memory under key floods. */
  constructor(options: { now?: () => number; maxKeys?: number } = {}) {
    this.#now = options.now ?? Date.now
    this.#maxKeys = options.maxKeys ?? 100_000
  }

  async hit(key: string, windowMs: number): Promise<ThrottleHit> {
    const now = this.#now()
    let counter = this.#counters.get(key)
    if (!counter || counter.resetAt <= now) {
      if (this.#counters.size >= this.#maxKeys) this.#sweep(now)
      counter = { count: 0, resetAt: now + Math.max(1, Math.ceil(windowMs)) }
      this.#counters.set(key, counter)
    }
    counter.count += 1
    return { count: counter.count, resetInMs: counter.resetAt - now }
  }

  async reset(key: string): Promise<void> {
    this.#counters.delete(key)
  }

  async release(key: string): Promise<void> {
    const counter = this.#counters.get(key)
    if (counter && counter.resetAt > this.#now() && counter.count > 0) counter.count -= 1
  }

  async peek(key: string): Promise<ThrottleHit | null> {
    const now = this.#now()
    const counter = this.#counters.get(key)
    if (!counter || counter.resetAt <= now) return null
    return { count: counter.count, resetInMs: counter.resetAt - now }
  }

  async clear(match: { key?: string; prefix?: string; suffix?: string }): Promise<number> {
    let removed = 0
    for (const key of [...this.#counters.keys()]) {
      const hit =
        match.key !== undefined
          ? key === match.key
          : key.startsWith(match.prefix ?? '') && key.endsWith(match.suffix ?? '')
      if (hit && this.#counters.delete(key)) removed++
    }
    return removed
  }

  #sweep(now: number): void {
    for (const [key, counter] of this.#counters) {
      if (counter.resetAt <= now) this.#counters.delete(key)
    }
    // Still full of live counters: drop the oldest (Map keeps insertion order) rather than grow.
    for (const key of this.#counters.keys()) {
      if (this.#counters.size < this.#maxKeys) break
      this.#counters.delete(key)
    }
  }
}
