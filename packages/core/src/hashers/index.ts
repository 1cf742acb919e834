import { Argon2Hasher } from './argon2.js'
import { BcryptHasher } from './bcrypt.js'
import { getRandomString } from './encoding.js'
import { Pbkdf2Hasher } from './pbkdf2.js'
import { fromPhcHash } from './phc.js'
import { ScryptHasher } from './scrypt.js'
import type {
  PasswordCheck,
  PasswordHasher,
  PasswordHasherOptions,
  PasswordHashers,
} from './types.js'

export {
  Argon2Hasher,
  DEFAULT_ARGON2_HASH_LENGTH,
  DEFAULT_ARGON2_MEMORY_COST,
  DEFAULT_ARGON2_PARALLELISM,
  DEFAULT_ARGON2_TIME_COST,
} from './argon2.js'
export { BcryptHasher, DEFAULT_BCRYPT_ROUNDS } from './bcrypt.js'
export { MAX_PASSWORD_LENGTH } from './encoding.js'
export { DEFAULT_PBKDF2_ITERATIONS, Pbkdf2Hasher } from './pbkdf2.js'
export { fromPhcHash, toPhcHash } from './phc.js'
export {
  DEFAULT_SCRYPT_BLOCK_SIZE,
  DEFAULT_SCRYPT_PARALLELISM,
  DEFAULT_SCRYPT_WORK_FACTOR,
  ScryptHasher,
} from './scrypt.js'
export type { Argon2Options } from './argon2.js'
export type { ScryptOptions } from './scrypt.js'
export type {
  PasswordCheck,
  PasswordHasher,
  PasswordHasherOptions,
  PasswordHashers,
} from './types.js'

/** Django's `UNUSABLE_PASSWORD_PREFIX`. */
export const UNUSABLE_PASSWORD_PREFIX = '!'
/** Django's `UNUSABLE_PASSWORD_SUFFIX_LENGTH`. */
export const UNUSABLE_PASSWORD_SUFFIX_LENGTH = 40

/** The algorithms {@link createPasswordHashers} knows, by Django prefix. */
export const PASSWORD_HASHER_ALGORITHMS = [
  'argon2',
  'pbkdf2_sha256',
  'pbkdf2_sha1',
  'scrypt',
  'bcrypt_sha256',
  'bcrypt',
] as const

/** `true` unless `encoded` is missing, empty or unusable (`!…`). */
export function isPasswordUsable(encoded: string | null | undefined): boolean {
  return (
    typeof encoded === 'string' && encoded !== '' && !encoded.startsWith(UNUSABLE_PASSWORD_PREFIX)
  )
}

/** Django's `make_password(None)`: `'!'` and 40 random characters, which no password matches. */
export function makeUnusablePassword(): string {
  return UNUSABLE_PASSWORD_PREFIX + getRandomString(UNUSABLE_PASSWORD_SUFFIX_LENGTH)
}

/** Django's `identify_hasher` prefix: the text before the first `$`, or `null`. */
function algorithmOf(encoded: string): string | null {
  const i = encoded.indexOf('$')
  return i > 0 ? encoded.slice(0, i) : null
}

/**
 * Builds the password hashers: the default one writes new hashes in Django's format, every
 * known one verifies, and a valid hash of another algorithm or with other parameters is
 * reported as `mustUpdate` (Django's `check_password` with its `setter`). Bare bcrypt (`$2b$…`) and argon2
 * (`$argon2id$…`) PHC strings verify as Django's `bcrypt` and `argon2` hashes. All hashing runs
 * off the event loop (the argon2 and bcrypt bindings, `crypto.pbkdf2` and `crypto.scrypt`
 * on libuv's thread pool).
 *
 * Throws a `RangeError` naming the option for an unknown `default` or out-of-range costs.
 */
export function createPasswordHashers(options: PasswordHasherOptions = {}): PasswordHashers {
  const iterations = options.pbkdf2Iterations
  const hashers = new Map<string, PasswordHasher>()
  for (const hasher of [
    new Argon2Hasher(options.argon2),
    new Pbkdf2Hasher('sha256', iterations),
    new Pbkdf2Hasher('sha1', iterations),
    new ScryptHasher(options.scrypt),
    new BcryptHasher(true, options.bcryptRounds),
    new BcryptHasher(false, options.bcryptRounds),
  ]) {
    hashers.set(hasher.algorithm, hasher)
  }
  const defaultAlgorithm = options.default ?? 'argon2'
  const preferred = hashers.get(defaultAlgorithm)
  if (!preferred) {
    throw new RangeError(
      `unknown password hasher ${JSON.stringify(defaultAlgorithm)}; expected one of ${[...hashers.keys()].join(', ')}`,
    )
  }

  /** One hash with the default hasher, as Django's `ModelBackend` does for an unknown user. */
  const hashDummy = async (password: string): Promise<void> => {
    try {
      await preferred.encode(password)
    } catch {
      // A password the policy refuses still costs one hash.
      await preferred.encode('').catch(() => undefined)
    }
  }

  return {
    defaultAlgorithm,
    hash: (password) => preferred.encode(password),
    async verify(password, stored): Promise<PasswordCheck> {
      // A bare PHC string is Django's bcrypt/argon2 layout without the prefix (see phc.ts).
      const encoded = typeof stored === 'string' ? fromPhcHash(stored) : stored
      const hasher =
        typeof encoded === 'string' && isPasswordUsable(encoded)
          ? hashers.get(algorithmOf(encoded) ?? '')
          : undefined
      if (!hasher || typeof password !== 'string') {
        // Unusable, missing or unknown: still spend one hash so the answer takes as long.
        await hashDummy('')
        return { valid: false, mustUpdate: false }
      }
      const valid = await hasher.verify(password, encoded as string)
      if (!valid) return { valid: false, mustUpdate: false }
      const mustUpdate = hasher !== preferred || preferred.mustUpdate(encoded as string)
      return { valid: true, mustUpdate }
    },
    hashDummy,
    makeUnusable: makeUnusablePassword,
    isUsable: isPasswordUsable,
  }
}
