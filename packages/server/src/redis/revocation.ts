import { perTurn } from '../per-turn.js'
import type { RedisConnection } from './connection.js'
import type { RevocableToken, RevocationCache } from '../sessions/revocation-cache.js'

// Re-exported for older imports; the interface lives in sessions/revocation-cache.ts.
export type { RevocableToken, RevocationCache }

// Keep the later cut-off and the longer TTL: concurrent revocations never weaken each other.
const REVOKE_USER_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local notBefore = math.max(current, tonumber(ARGV[1]))
local ttl = math.max(redis.call('PTTL', KEYS[1]), tonumber(ARGV[2]))
redis.call('SET', KEYS[1], notBefore, 'PX', ttl)
return notBefore
`

/** Most checks answered by one MGET (two keys each). */
const MAX_BATCH = 512

/** Revocations in Redis: one key per revoked jti, one "not before" key per user. */
export class RedisRevocationCache implements RevocationCache {
  readonly #redis: RedisConnection
  readonly #now: () => number
  /** The checks of one event-loop turn, answered by one MGET (per-turn.ts). */
  readonly #check = perTurn(
    (tokens: readonly RevocableToken[]) => this.#checkAll(tokens),
    MAX_BATCH,
  )

  /** `now` returns epoch milliseconds. */
  constructor(redis: RedisConnection, options: { now?: () => number } = {}) {
    this.#redis = redis
    this.#now = options.now ?? Date.now
  }

  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    const ttlMs = expiresAt * 1000 - this.#now()
    if (ttlMs <= 0) return // already expired: no verifier accepts it anyway
    await this.#redis.run((client) => client.set(this.#jtiKey(jti), '1', 'PX', Math.ceil(ttlMs)))
  }

  async revokeUserTokens(userId: string, notBefore: number, ttlSeconds: number): Promise<void> {
    const ttlMs = String(Math.max(1000, Math.ceil(ttlSeconds * 1000)))
    await this.#redis.run((client) =>
      client.eval(
        REVOKE_USER_SCRIPT,
        1,
        this.#userKey(userId),
        String(Math.floor(notBefore)),
        ttlMs,
      ),
    )
  }

  /**
   * The checks of one event-loop turn share one round trip: a single MGET of both keys of every token, sent in the
   * turn's check phase (`setImmediate`) after all of them were asked for, so each answer reflects every revocation
   * stored before it was asked for, as with a round trip per check.
   */
  isRevoked(token: RevocableToken): Promise<boolean> {
    return this.#check(token)
  }

  async #checkAll(tokens: readonly RevocableToken[]): Promise<boolean[]> {
    const keys = tokens.flatMap((t) => [this.#jtiKey(t.jti), this.#userKey(t.userId)])
    const values = await this.#redis.run((client) => client.mget(keys))
    return tokens.map((t, i) => {
      const jti = values[2 * i]
      const notBefore = values[2 * i + 1]
      return jti != null || (notBefore != null && t.iat < Number(notBefore))
    })
  }

  #jtiKey(jti: string): string {
    return `${this.#redis.keyPrefix}revoked:jti:${jti}`
  }

  #userKey(userId: string): string {
    return `${this.#redis.keyPrefix}revoked:user:${userId}`
  }
}

/** Revocations in this process's memory: correct for a single server process only. */
export class MemoryRevocationCache implements RevocationCache {
  readonly #tokens = new Map<string, number>() // jti → expiry (ms)
  readonly #users = new Map<string, { notBefore: number; expiresAt: number }>()
  readonly #now: () => number
  #writes = 0

  /** `now` returns epoch milliseconds (a test clock). */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now
  }

  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    const expiresAtMs = expiresAt * 1000
    if (expiresAtMs <= this.#now()) return
    this.#sweep()
    this.#tokens.set(jti, Math.max(expiresAtMs, this.#tokens.get(jti) ?? 0))
  }

  async revokeUserTokens(userId: string, notBefore: number, ttlSeconds: number): Promise<void> {
    this.#sweep()
    const previous = this.#live(this.#users.get(userId))
    this.#users.set(userId, {
      notBefore: Math.max(Math.floor(notBefore), previous?.notBefore ?? 0),
      expiresAt: Math.max(this.#now() + ttlSeconds * 1000, previous?.expiresAt ?? 0),
    })
  }

  async isRevoked(token: RevocableToken): Promise<boolean> {
    const jtiExpiry = this.#tokens.get(token.jti)
    if (jtiExpiry !== undefined && jtiExpiry > this.#now()) return true
    const user = this.#live(this.#users.get(token.userId))
    return user !== undefined && token.iat < user.notBefore
  }

  #live<T extends { expiresAt: number }>(entry: T | undefined): T | undefined {
    return entry && entry.expiresAt > this.#now() ? entry : undefined
  }

  #sweep(): void {
    // Amortised: a full sweep every 1024 writes keeps memory bounded by live entries.
    if (++this.#writes % 1024 !== 0) return
    const now = this.#now()
    for (const [jti, expiresAt] of this.#tokens) if (expiresAt <= now) this.#tokens.delete(jti)
    for (const [id, user] of this.#users) if (user.expiresAt <= now) this.#users.delete(id)
  }
}
