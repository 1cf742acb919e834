import type { AuthSettings } from '@cookiejwt/core'
import type { ThrottleStore } from '../redis/throttle.js'
import { ThrottledError, throttleKeys } from '../throttle/lockout.js'

/** The counter key of a user's wrong second-factor codes (by id: it outlives a username change). */
export function mfaThrottleKey(userId: number): string {
  return `mfa:u:${userId}`
}

/**
 * Guesses at second-factor codes: `mfa.failuresPerUser` wrong codes per user in one `throttle.window` (always
 * counted), and every wrong code also counts against the IP's shared failure counter (logins, refreshes, codes)
 * when `throttle.enabled`. A locked user gets 429 before any code is checked, so a lock cannot be probed with a
 * right code.
 */
export class CodeThrottle {
  readonly #settings: AuthSettings
  readonly #store: ThrottleStore

  constructor(settings: AuthSettings, store: ThrottleStore) {
    this.#settings = settings
    this.#store = store
  }

  /** Throws `ThrottledError` when the user or the IP is locked; counts nothing. */
  async check(userId: number, ip: string): Promise<void> {
    const limits: [string, number][] = [[mfaThrottleKey(userId), this.#settings.mfa.failuresPerUser]]
    if (this.#settings.throttle.enabled) limits.push([throttleKeys.ip(ip), this.#settings.throttle.failuresPerIp])
    const counters = await Promise.all(limits.map(([key]) => this.#store.peek(key)))
    let wait = 0
    counters.forEach((counter, index) => {
      if (counter && counter.count >= limits[index]![1]) wait = Math.max(wait, counter.resetInMs)
    })
    if (wait > 0) throw new ThrottledError(wait / 1000)
  }

  /** Counts a wrong code against the user and the IP. */
  async recordFailure(userId: number, ip: string): Promise<void> {
    const ms = this.#settings.throttle.window * 1000
    await Promise.all([
      this.#store.hit(mfaThrottleKey(userId), ms),
      ...(this.#settings.throttle.enabled ? [this.#store.hit(throttleKeys.ip(ip), ms)] : []),
    ])
  }

  /** A right code forgets the user's wrong ones (never the IP's counter). */
  async recordSuccess(userId: number): Promise<void> {
    await this.#store.reset(mfaThrottleKey(userId))
  }
}
