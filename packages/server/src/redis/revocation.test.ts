import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedis, type ServiceHandle } from '../../test/services/index.js'
import { RedisConnection } from './connection.js'
import { isServiceUnavailable } from './errors.js'
import { MemoryRevocationCache, RedisRevocationCache, type RevocationCache } from './revocation.js'

let server: ServiceHandle
const connections: RedisConnection[] = []
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  for (const c of connections) await c.close()
  await server?.stop()
})

function connect(prefix: string): RedisConnection {
  const connection = new RedisConnection({ url: server.url, keyPrefix: prefix })
  connections.push(connection)
  return connection
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)
const JTI = 'a'.repeat(32)
const OTHER_JTI = 'b'.repeat(32)

const caches: Array<[string, () => RevocationCache]> = [
  ['MemoryRevocationCache', () => new MemoryRevocationCache()],
  ['RedisRevocationCache', () => new RedisRevocationCache(connect(`r${Math.random()}:`))],
]

for (const [name, makeCache] of caches) {
  describe(name, () => {
    it('revokes one token by jti, not others', async () => {
      const cache = makeCache()
      const iat = nowSeconds()
      await cache.revokeToken(JTI, iat + 60)
      expect(await cache.isRevoked({ jti: JTI, userId: '1', iat })).toBe(true)
      expect(await cache.isRevoked({ jti: OTHER_JTI, userId: '1', iat })).toBe(false)
    })

    it('forgets a jti when the token would have expired anyway', async () => {
      const cache = makeCache()
      const iat = nowSeconds()
      await cache.revokeToken(JTI, iat - 1) // already expired: nothing stored
      expect(await cache.isRevoked({ jti: JTI, userId: '1', iat })).toBe(false)
      await cache.revokeToken(OTHER_JTI, Date.now() / 1000 + 0.15)
      expect(await cache.isRevoked({ jti: OTHER_JTI, userId: '1', iat })).toBe(true)
      await new Promise((r) => setTimeout(r, 250))
      expect(await cache.isRevoked({ jti: OTHER_JTI, userId: '1', iat })).toBe(false)
    })

    it('revokes every token of a user issued before the cut-off', async () => {
      const cache = makeCache()
      const cut = nowSeconds()
      await cache.revokeUserTokens('7', cut, 60)
      expect(await cache.isRevoked({ jti: JTI, userId: '7', iat: cut - 1 })).toBe(true)
      expect(await cache.isRevoked({ jti: JTI, userId: '7', iat: cut })).toBe(false)
      expect(await cache.isRevoked({ jti: JTI, userId: '8', iat: cut - 1 })).toBe(false)
    })

    it('never moves a user cut-off back', async () => {
      const cache = makeCache()
      const cut = nowSeconds()
      await cache.revokeUserTokens('7', cut + 10, 60)
      await cache.revokeUserTokens('7', cut, 60)
      expect(await cache.isRevoked({ jti: JTI, userId: '7', iat: cut + 5 })).toBe(true)
    })

    it('answers each of many checks asked for in the same turn', async () => {
      const cache = makeCache()
      const cut = nowSeconds()
      await cache.revokeToken(JTI, cut + 60)
      await cache.revokeUserTokens('7', cut, 60)
      // More than one batch's worth (512), with the revoked ones spread through it.
      const checks = Array.from({ length: 1200 }, (_, i) => {
        const kind = i % 4
        const token =
          kind === 0
            ? { jti: JTI, userId: '1', iat: cut }
            : kind === 1
              ? { jti: OTHER_JTI, userId: '7', iat: cut - 1 }
              : kind === 2
                ? { jti: OTHER_JTI, userId: '7', iat: cut }
                : { jti: OTHER_JTI, userId: '1', iat: cut - 1 }
        return cache.isRevoked(token).then((revoked) => [kind, revoked] as const)
      })
      for (const [kind, revoked] of await Promise.all(checks)) expect(revoked).toBe(kind < 2)
    })

    it('forgets a user cut-off after its TTL', async () => {
      const cache = makeCache()
      const cut = nowSeconds()
      await cache.revokeUserTokens('9', cut, 1)
      expect(await cache.isRevoked({ jti: JTI, userId: '9', iat: cut - 1 })).toBe(true)
      await new Promise((r) => setTimeout(r, 1100))
      expect(await cache.isRevoked({ jti: JTI, userId: '9', iat: cut - 1 })).toBe(false)
    })
  })
}

describe('RedisRevocationCache across processes', () => {
  it('a revocation on one connection is seen on another at once', async () => {
    const a = new RedisRevocationCache(connect('shared:'))
    const b = new RedisRevocationCache(connect('shared:'))
    const iat = nowSeconds()
    await a.revokeToken(JTI, iat + 60)
    await a.revokeUserTokens('42', iat + 1, 60)
    expect(await b.isRevoked({ jti: JTI, userId: '1', iat })).toBe(true)
    expect(await b.isRevoked({ jti: OTHER_JTI, userId: '42', iat })).toBe(true)
  })

  it('fails closed with a 503-class error while Redis is down', async () => {
    const own = await startRedis()
    const connection = new RedisConnection({ url: own.url })
    const cache = new RedisRevocationCache(connection)
    try {
      expect(await cache.isRevoked({ jti: JTI, userId: '1', iat: nowSeconds() })).toBe(false)
      await own.kill()
      const error = await cache
        .isRevoked({ jti: JTI, userId: '1', iat: nowSeconds() })
        .catch((e) => e)
      expect(isServiceUnavailable(error)).toBe(true)
    } finally {
      await connection.close()
      await own.stop()
    }
  })
})
