/**
 * One password hash format, named by Django's algorithm prefix (`argon2`, `pbkdf2_sha256`, …).
 *
 * Implementations never throw from {@link PasswordHasher.verify} or
 * {@link PasswordHasher.mustUpdate}: a malformed stored value is simply not a match.
 */
export interface PasswordHasher {
  /** Django's algorithm prefix, the text before the first `$` of an encoded hash. */
  readonly algorithm: string
  /** Hashes `password` with a fresh random salt and this hasher's current parameters. */
  encode(password: string): Promise<string>
  /** `true` when `password` matches `encoded` (constant-time compare); `false` on any bad input. */
  verify(password: string, encoded: string): Promise<boolean>
  /** `true` when `encoded` was written with parameters other than this hasher's current ones. */
  mustUpdate(encoded: string): boolean
}

/** Options of {@link createPasswordHashers}. */
export interface PasswordHasherOptions {
  /**
   * The algorithm that writes new hashes; hashes of other algorithms are still verified and
   * re-hashed with this one on the next successful login (as Django does).
   * @default 'argon2'
   */
  default?:
    'argon2' | 'pbkdf2_sha256' | 'pbkdf2_sha1' | 'scrypt' | 'bcrypt_sha256' | 'bcrypt' | string
  /**
   * Argon2id cost. Memory in KiB.
   * @default { memoryCost: 19456, timeCost: 2, parallelism: 1, hashLength: 32 } (OWASP's first argon2id profile)
   */
  argon2?: { memoryCost?: number; timeCost?: number; parallelism?: number; hashLength?: number }
  /**
   * PBKDF2 iteration count for `pbkdf2_sha256` / `pbkdf2_sha1`.
   * @default 1000000 (Django 5.2's value)
   */
  pbkdf2Iterations?: number
  /**
   * scrypt cost, Django's names (N, r, p).
   * @default { workFactor: 16384, blockSize: 8, parallelism: 1 } (Django's)
   */
  scrypt?: { workFactor?: number; blockSize?: number; parallelism?: number }
  /**
   * bcrypt cost (log2 rounds) for `bcrypt_sha256` / `bcrypt`.
   * @default 12 (Django's)
   */
  bcryptRounds?: number
}

/** The result of {@link PasswordHashers.verify}. */
export interface PasswordCheck {
  /** The password matches the stored hash. */
  valid: boolean
  /** The hash is valid but outdated (other algorithm or weaker/different parameters): re-hash and save it. */
  mustUpdate: boolean
}

/** The configured set of hashers: one writes new hashes, all of them verify. */
export interface PasswordHashers {
  /** Algorithm prefix of the hasher that writes new hashes. */
  readonly defaultAlgorithm: string
  /** Hashes with the default hasher. Throws a `RangeError` for a password the policy refuses. */
  hash(password: string): Promise<string>
  /**
   * Checks `password` against a stored hash. Unknown formats, unusable (`!…`), empty or garbage
   * values give `{ valid: false }`; never throws on bad input.
   */
  verify(password: string, encoded: string | null | undefined): Promise<PasswordCheck>
  /** Runs one hash with the default hasher (the unknown-user path, so timing does not reveal users). */
  hashDummy(password: string): Promise<void>
  /** A value no password matches: `'!'` followed by 40 random characters, as Django's `set_unusable_password()`. */
  makeUnusable(): string
  /** `false` for `null`, `undefined`, `''` and unusable (`!…`) values. */
  isUsable(encoded: string | null | undefined): boolean
}
