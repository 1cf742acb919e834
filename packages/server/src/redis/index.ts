/**
 * Redis support: a fail-fast lazily connected client, and the shared state several server
 * processes need — throttling counters and a revocation cache — behind small interfaces that
 * also have in-memory (single process) and database implementations.
 */
export { RedisConnection, DEFAULT_REDIS_KEY_PREFIX, describeError } from './connection.js'
export { redisUnavailable, isServiceUnavailable } from './errors.js'
export { RedisThrottleStore, MemoryThrottleStore } from './throttle.js'
export { RedisRevocationCache, MemoryRevocationCache } from './revocation.js'
export { openRedisServices, isRedisUrl } from './services.js'

export type { RedisConnectionOptions, DependencyHealth } from './connection.js'
export type { ThrottleHit, ThrottleStore } from './throttle.js'
export type { RevocableToken, RevocationCache } from './revocation.js'
export type { RedisServices } from './services.js'
