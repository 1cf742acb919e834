import { createHash } from 'node:crypto'
import { AuthError, type PasswordHashers, type ThrottleSettings, type User } from '@cookiejwt/core'
import type { ThrottleStore } from './throttle-store.js'

/** 429 `throttled` with the seconds to wait, sent as `Retry-After` (DRF's `Throttled`). */
export class ThrottledError extends AuthError {
  /** Whole seconds until the request may be retried. */
  readonly retryAfter: number
  /** Which limits refused the request (for the security log; never sent to the client). */
  readonly scope: readonly LockoutScope[]

  constructor(seconds: number, scope: readonly LockoutScope[] = []) {
    const wait = Math.max(1, Math.ceil(seconds))
    super('throttled', `Request was throttled. Expected available in ${wait} seconds.`)
    this.name = 'ThrottledError'
    this.retryAfter = wait
    this.scope = scope
  }
}

/** The three login limits: a username from one IP, a username from every IP, one IP over every username. */
export type LockoutScope = 'username_ip' | 'username' | 'ip'

const SCOPES: readonly LockoutScope[] = ['username_ip', 'username', 'ip']

/** A login attempt counted by `LoginThrottle.beginLogin`, to settle once its outcome is known. */
export interface LoginAttempt {
  /** The password was right: the attempt was no failure. */
  succeeded(): Promise<void>
  /** The credentials were refused: the attempt stays counted. Resolves to the limits this very failure reached. */
  failed(): Promise<LockoutScope[]>
  /** The attempt ended without a verdict (a storage error): it is not counted. */
  abandoned(): Promise<void>
}

const SETTLED: LoginAttempt = {
  succeeded: async () => {},
  failed: async () => [],
  abandoned: async () => {},
}

/** The counter keys for a username and an IP; usernames are hashed so keys are short and reveal nothing. */
export const throttleKeys = {
  username: (username: string) => `u:${digest(username)}`,
  usernameIp: (username: string, ip: string) => `uip:${digest(username)}:${ip}`,
  usernamePrefix: (username: string) => `uip:${digest(username)}:`,
  ip: (ip: string) => `ip:${ip}`,
}

/**
 * Login and refresh throttling with lockout, as django-axes does it: only failures count; a username is locked for
 * one IP after `failuresPerUsernameIp`, everywhere after `failuresPerUsername`; an IP after `failuresPerIp` (logins
 * and refreshes together). Unknown usernames are counted exactly like known ones, so a lockout says nothing about
 * whether an account exists. A lock lasts for the rest of the counting window.
 */
export class LoginThrottle {
  readonly #settings: ThrottleSettings
  readonly #store: ThrottleStore

  constructor(settings: ThrottleSettings, store: ThrottleStore) {
    this.#settings = settings
    this.#store = store
  }

  /**
   * Counts a login attempt as a failure before the password is checked, for the pair, the username and the IP, and
   * throws `ThrottledError` when any of them is over its limit. Counting first closes the race of checking first:
   * a burst of concurrent guesses cannot all pass the check before any failure is recorded, so at most the limit's
   * number of guesses are ever checked per window. The caller settles the attempt: `succeeded()` takes back the
   * username and IP hits and forgets this IP's failures for the username, `failed()` keeps them, `abandoned()` (an
   * error that is no verdict on the password) takes all three back.
   */
  async beginLogin(username: string, ip: string): Promise<LoginAttempt> {
    if (!this.#settings.enabled) return SETTLED
    const s = this.#settings
    const ms = s.window * 1000
    const keys = [
      throttleKeys.usernameIp(username, ip),
      throttleKeys.username(username),
      throttleKeys.ip(ip),
    ] as const
    const limits = [s.failuresPerUsernameIp, s.failuresPerUsername, s.failuresPerIp]
    const hits = await Promise.all(keys.map((key) => this.#store.hit(key, ms)))
    const release = (which: readonly string[]) =>
      Promise.all(which.map((key) => this.#store.release(key))).then(() => {})
    let wait = 0
    const over: LockoutScope[] = []
    hits.forEach((hit, index) => {
      if (hit.count > limits[index]!) {
        wait = Math.max(wait, hit.resetInMs)
        over.push(SCOPES[index]!)
      }
    })
    if (wait > 0) {
      // A refused attempt checks no password, so it is not a failure: only guesses that were checked count.
      await release(keys)
      throw new ThrottledError(wait / 1000, over)
    }
    return {
      succeeded: async () => {
        await Promise.all([this.#store.reset(keys[0]), release([keys[1], keys[2]])])
      },
      // Hits are atomic, so exactly one attempt per window holds the count equal to a limit.
      failed: async () => SCOPES.filter((_, index) => hits[index]!.count === limits[index]),
      abandoned: () => release(keys),
    }
  }

  /** Throws `ThrottledError` when the IP is locked (refresh endpoints). */
  async checkIp(ip: string): Promise<void> {
    if (!this.#settings.enabled) return
    await this.#check([[throttleKeys.ip(ip), this.#settings.failuresPerIp]])
  }

  /** Counts a failed refresh against the IP. */
  async recordIpFailure(ip: string): Promise<void> {
    if (!this.#settings.enabled) return
    await this.#store.hit(throttleKeys.ip(ip), this.#settings.window * 1000)
  }

  async #check(limits: [string, number][]): Promise<void> {
    const counters = await Promise.all(limits.map(([key]) => this.#store.peek(key)))
    let wait = 0
    counters.forEach((counter, index) => {
      if (counter && counter.count >= limits[index]![1]) wait = Math.max(wait, counter.resetInMs)
    })
    if (wait > 0) throw new ThrottledError(wait / 1000)
  }
}

/** Clears lockouts (the `clearlockout` command): one username, one IP, or everything. Returns counters removed. */
export async function clearLockout(
  store: ThrottleStore,
  target: { username: string } | { ip: string } | { all: true },
): Promise<number> {
  if ('all' in target) return store.clear({})
  if ('username' in target) {
    const one = await store.clear({ key: throttleKeys.username(target.username) })
    return one + (await store.clear({ prefix: throttleKeys.usernamePrefix(target.username) }))
  }
  const one = await store.clear({ key: throttleKeys.ip(target.ip) })
  return one + (await store.clear({ prefix: 'uip:', suffix: `:${target.ip}` }))
}

function digest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 40)
}

/**
 * Checks a signed-in user's password as one login attempt (re-authentication, password change, TOTP changes): a
 * stolen session cannot guess the password faster than the login form. Counted before the hash runs, taken back when
 * right, kept when wrong (`locked`: the limits that failure reached), not counted when the hash itself failed.
 */
export async function checkPasswordAttempt(
  throttle: LoginThrottle | undefined,
  hashers: Pick<PasswordHashers, 'verify'>,
  user: Pick<User, 'username' | 'password'>,
  password: string,
  ip: string,
): Promise<{ valid: boolean; locked: LockoutScope[] }> {
  const attempt = (await throttle?.beginLogin(user.username, ip)) ?? SETTLED
  let valid: boolean
  try {
    valid = (await hashers.verify(password, user.password)).valid
  } catch (error) {
    await attempt.abandoned()
    throw error
  }
  if (!valid) return { valid, locked: await attempt.failed() }
  await attempt.succeeded()
  return { valid, locked: [] }
}
