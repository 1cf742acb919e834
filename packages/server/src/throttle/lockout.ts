import { createHash } from 'node:crypto'
import { AuthError, type ThrottleSettings } from '@cookiejwt/core'
import type { ThrottleStore } from '../redis/throttle.js'

/** 429 `throttled` with the seconds to wait, sent as `Retry-After` (DRF's `Throttled`). */
export class ThrottledError extends AuthError {
  /** Whole seconds until the request may be retried. */
  readonly retryAfter: number

  constructor(seconds: number) {
    const wait = Math.max(1, Math.ceil(seconds))
    super('throttled', `Request was throttled. Expected available in ${wait} seconds.`)
    this.name = 'ThrottledError'
    this.retryAfter = wait
  }
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

  /** Throws `ThrottledError` when this username or IP is locked; counts nothing. */
  async checkLogin(username: string, ip: string): Promise<void> {
    if (!this.#settings.enabled) return
    const s = this.#settings
    await this.#check([
      [throttleKeys.usernameIp(username, ip), s.failuresPerUsernameIp],
      [throttleKeys.username(username), s.failuresPerUsername],
      [throttleKeys.ip(ip), s.failuresPerIp],
    ])
  }

  /** Counts a failed login for the username, the pair and the IP. */
  async recordLoginFailure(username: string, ip: string): Promise<void> {
    if (!this.#settings.enabled) return
    const ms = this.#settings.window * 1000
    await Promise.all([
      this.#store.hit(throttleKeys.usernameIp(username, ip), ms),
      this.#store.hit(throttleKeys.username(username), ms),
      this.#store.hit(throttleKeys.ip(ip), ms),
    ])
  }

  /** A successful login forgets this IP's failures for this username only — never other IPs' counters. */
  async recordLoginSuccess(username: string, ip: string): Promise<void> {
    if (!this.#settings.enabled) return
    await this.#store.reset(throttleKeys.usernameIp(username, ip))
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
