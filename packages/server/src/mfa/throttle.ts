import type { AuthSettings, UserId } from '@cookiejwt/core'
import type { ThrottleStore } from '../throttle/throttle-store.js'
import { ThrottledError, throttleKeys } from '../throttle/lockout.js'

/** The counter key of a user's wrong second-factor codes (by id: it outlives a username change). */
export function mfaThrottleKey(userId: UserId): string {
  return `mfa:u:${userId}`
}

/** The limits of code guesses: one user's wrong codes from every IP, and the IP's shared failure counter. */
export type CodeLockoutScope = 'mfa_user' | 'ip'

/** A code attempt counted by `CodeThrottle.begin`, settled once its outcome is known (as a login attempt). */
export interface CodeAttempt {
  /** The code was right: the user's wrong codes are forgotten. */
  succeeded(): Promise<void>
  /** The code was wrong: the attempt stays counted. Resolves to the limits this very failure reached. */
  failed(): Promise<CodeLockoutScope[]>
  /** No verdict on a code (a storage error, no authenticator): not counted. */
  abandoned(): Promise<void>
}

/**
 * Guesses at second-factor codes: at most `mfa.failuresPerUser` wrong codes per user in one `throttle.window` (always
 * counted), and every wrong code also counts against the IP's shared failure counter (logins, refreshes, codes)
 * when `throttle.enabled`. Like the login throttle, an attempt is counted before the code is checked, so a burst of
 * concurrent guesses cannot overshoot the limit, and a locked user gets 429 before any code is checked.
 */
export class CodeThrottle {
  readonly #settings: AuthSettings
  readonly #store: ThrottleStore

  constructor(settings: AuthSettings, store: ThrottleStore) {
    this.#settings = settings
    this.#store = store
  }

  /**
   * Counts an attempt for the user (and the IP) and throws `ThrottledError` when either is over its limit. The
   * caller settles it: `succeeded()` forgets the user's wrong codes and takes back the IP hit, `failed()` keeps both,
   * `abandoned()` (no verdict on a code: a storage error, no authenticator) takes both back.
   */
  async begin(userId: UserId, ip: string): Promise<CodeAttempt> {
    const ms = this.#settings.throttle.window * 1000
    const keys: [string, number][] = [[mfaThrottleKey(userId), this.#settings.mfa.failuresPerUser]]
    if (this.#settings.throttle.enabled)
      keys.push([throttleKeys.ip(ip), this.#settings.throttle.failuresPerIp])
    const hits = await Promise.all(keys.map(([key]) => this.#store.hit(key, ms)))
    const release = (which: readonly [string, number][]) =>
      Promise.all(which.map(([key]) => this.#store.release(key))).then(() => {})
    let wait = 0
    hits.forEach((hit, index) => {
      if (hit.count > keys[index]![1]) wait = Math.max(wait, hit.resetInMs)
    })
    if (wait > 0) {
      // A refused attempt checks no code, so it is no failure: only guesses that were checked count.
      await release(keys)
      throw new ThrottledError(wait / 1000)
    }
    return {
      succeeded: async () => {
        await Promise.all([this.#store.reset(keys[0]![0]), release(keys.slice(1))])
      },
      // The limits this failure reached ('mfa_user', 'ip'): the next attempt is refused (for the security log).
      failed: async () =>
        keys
          .filter(([, limit], index) => hits[index]!.count >= limit)
          .map(([key]): CodeLockoutScope => (key.startsWith('mfa:') ? 'mfa_user' : 'ip')),
      abandoned: () => release(keys),
    }
  }
}
