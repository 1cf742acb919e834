import { RedisConnection, type RedisConnectionOptions } from './connection.js'
import { RedisRevocationCache } from './revocation.js'
import { RedisThrottleStore } from './throttle.js'

/** Everything the server takes from Redis, ready to pass to `buildApp`. */
export interface RedisServices {
  readonly connection: RedisConnection
  /** Shared throttling counters (`AppDeps.throttleStore`). */
  readonly throttleStore: RedisThrottleStore
  /** Shared revocation cache (`AppDeps.revocationCache`). */
  readonly revocationCache: RedisRevocationCache
  /** `/api/health/` check named `redis` (`AppDeps.healthChecks`): throws while Redis is unavailable. */
  readonly healthChecks: { redis: () => Promise<void> }
  /** Closes the connection (call on app close). */
  close(): Promise<void>
}

/**
 * Opens (lazily) the Redis a `REDIS_URL` names and builds the shared stores on it. Nothing
 * connects until the first request needs Redis, so a server starts while Redis is down and serves
 * as soon as it is back.
 */
export function openRedisServices(
  url: string,
  options: Omit<RedisConnectionOptions, 'url'> = {},
): RedisServices {
  const connection = new RedisConnection({ ...options, url })
  return {
    connection,
    throttleStore: new RedisThrottleStore(connection),
    revocationCache: new RedisRevocationCache(connection),
    healthChecks: {
      redis: async () => {
        const health = await connection.health()
        if (health.status !== 'ok') throw new Error(`redis: ${health.error ?? 'unavailable'}`)
      },
    },
    close: () => connection.close(),
  }
}

/** Whether a string is a Redis URL this server accepts (`redis://` or `rediss://` for TLS). */
export function isRedisUrl(url: string): boolean {
  return /^rediss?:\/\/[^\s]+$/.test(url)
}
