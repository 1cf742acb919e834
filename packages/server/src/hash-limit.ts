import { availableParallelism } from 'node:os'
import type { PasswordHashers } from '@cookiejwt/core'

/**
 * How many password hashes run at once by default: one core is left to the event loop. Hashing already runs on
 * libuv's thread pool, but four argon2 hashes on a 2-core machine still starve the loop of CPU, and then every
 * request waits (measured: hot-path p99 3.5–10× under a login flood unlimited, ≤ 2.3× limited).
 */
export function defaultHashConcurrency(): number {
  return Math.max(1, availableParallelism() - 1)
}

/** Wraps hashers so at most `concurrency` hash operations run at once; the others wait their turn in order. */
export function limitHashing(
  hashers: PasswordHashers,
  concurrency = defaultHashConcurrency(),
): PasswordHashers {
  let running = 0
  const waiting: (() => void)[] = []
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve))
    else running += 1
    try {
      return await work()
    } finally {
      // Hand the slot straight to the next waiter, so the count never drops below what is running.
      const next = waiting.shift()
      if (next) next()
      else running -= 1
    }
  }
  return {
    defaultAlgorithm: hashers.defaultAlgorithm,
    makeUnusable: () => hashers.makeUnusable(),
    isUsable: (encoded) => hashers.isUsable(encoded),
    hash: (password) => run(() => hashers.hash(password)),
    verify: (password, encoded) => run(() => hashers.verify(password, encoded)),
    hashDummy: (password) => run(() => hashers.hashDummy(password)),
  }
}
