// The throttling counter interface, beside the concept; Redis, the database and memory implement it.

/** The state of one throttling counter after a hit. */
export interface ThrottleHit {
  /** Hits counted in the current window, this one included. */
  count: number
  /** Milliseconds until the window ends and the counter starts again from zero. */
  resetInMs: number
}

/**
 * Fixed-window hit counters shared by every server process that uses the same store.
 *
 * Implementations: `RedisThrottleStore` (several processes or machines), `MemoryThrottleStore`
 * (one process), and the database store in `src/storage/` (several processes, no Redis).
 */
export interface ThrottleStore {
  /** Counts one hit of `key` in its current window of `windowMs` and returns the new count. */
  hit(key: string, windowMs: number): Promise<ThrottleHit>
  /** Forgets the counter of `key` (e.g. after a successful login). */
  reset(key: string): Promise<void>
  /**
   * Takes back one hit of `key` in its current window (never below zero; nothing when the window has ended): an
   * attempt counted before its outcome was known turned out not to be a failure.
   */
  release(key: string): Promise<void>
  /** The counter of `key` in its current window without counting, or null when there is none. */
  peek(key: string): Promise<ThrottleHit | null>
  /**
   * Forgets the counter `key`, or every counter whose key starts with `prefix` and ends with
   * `suffix`; with neither, every counter. Returns how many were forgotten.
   */
  clear(match: { key?: string; prefix?: string; suffix?: string }): Promise<number>
}
