import { hashRaw, type Algorithm, type Version } from '@node-rs/argon2'

import {
  SALT_LENGTH,
  b64Decode,
  b64NoPad,
  bytesEqual,
  getRandomString,
  parsePositiveInt,
  passwordBytes,
  requirePasswordBytes,
} from './encoding.js'
import type { PasswordHasher } from './types.js'

/**
 * Argon2id default cost: OWASP Password Storage Cheat Sheet's first argon2id profile
 * (m=19 MiB, t=2, p=1). About 20–40 ms per hash on one core of a small server, run on libuv's
 * thread pool. Django's own default (m=100 MiB, t=2, p=8) needs 5× the memory per concurrent
 * login; pass `{ memoryCost: 102400, timeCost: 2, parallelism: 8 }` to match it exactly when
 * Django and cookiejwt share a database, or each side re-hashes the other's hashes on login.
 */
export const DEFAULT_ARGON2_MEMORY_COST = 19456
/** @see DEFAULT_ARGON2_MEMORY_COST */
export const DEFAULT_ARGON2_TIME_COST = 2
/** @see DEFAULT_ARGON2_MEMORY_COST */
export const DEFAULT_ARGON2_PARALLELISM = 1
/**
 * Raw hash length in bytes: RFC 9106's 256-bit tag, argon2-cffi ≥ 21.2's default (Django on
 * argon2-cffi 21.1, e.g. Debian 12's Django 3.2, writes 16; set `hashLength: 16` to match it).
 */
export const DEFAULT_ARGON2_HASH_LENGTH = 32

/** Stored hashes asking for more than this are refused (a hostile row must not exhaust memory). */
const MAX_MEMORY_COST = 1 << 20 // KiB = 1 GiB
const MAX_TIME_COST = 1000
const MAX_PARALLELISM = 255
const VARIANTS = { argon2d: 0, argon2i: 1, argon2id: 2 } as const

/** The parts of a Django argon2 hash. */
interface Argon2Parts {
  variant: keyof typeof VARIANTS
  version: number
  m: number
  t: number
  p: number
  salt: Buffer
  hash: Buffer
}

/**
 * Parses Django's layout `argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` (base64 without
 * padding), and the older `argon2$argon2i$m=…,t=…,p=…$salt$hash` without a version (0x10).
 */
export function parseArgon2(encoded: string): Argon2Parts | null {
  const parts = encoded.split('$')
  if (parts[0] !== 'argon2') return null
  let rest = parts.slice(1)
  if (rest.length === 4) rest = [rest[0]!, 'v=16', ...rest.slice(1)]
  if (rest.length !== 5) return null
  const [variant, v, params, salt64, hash64] = rest as [string, string, string, string, string]
  if (!Object.hasOwn(VARIANTS, variant)) return null
  const vm = /^v=(16|19)$/.exec(v)
  const pm = /^m=([0-9]+),t=([0-9]+),p=([0-9]+)$/.exec(params)
  if (!vm || !pm) return null
  const p = parsePositiveInt(pm[3], MAX_PARALLELISM)
  const m = parsePositiveInt(pm[1], MAX_MEMORY_COST)
  const t = parsePositiveInt(pm[2], MAX_TIME_COST)
  const salt = b64Decode(salt64)
  const hash = b64Decode(hash64)
  if (p === null || m === null || t === null || m < 8 * p || !salt || !hash) return null
  if (salt.length < 8 || hash.length < 4 || hash.length > 1024) return null
  return {
    variant: variant as keyof typeof VARIANTS,
    version: Number(vm[1]) === 19 ? 0x13 : 0x10,
    m,
    t,
    p,
    salt,
    hash,
  }
}

/** Options of {@link Argon2Hasher}. */
export interface Argon2Options {
  memoryCost?: number
  timeCost?: number
  parallelism?: number
  hashLength?: number
}

/**
 * The raw Argon2 tag, on libuv's thread pool, through `@node-rs/argon2` (RustCrypto's `argon2`
 * crate). Its allocator (mimalloc) maps each hash's memory block and unmaps it when the hash ends,
 * so a login load leaves nothing resident (node-argon2's `malloc`ed block stayed in glibc's
 * per-thread arena: bench/README.md, finding 17). Same output as libargon2 for the same inputs.
 */
function argon2Raw(
  password: Buffer,
  parts: Omit<Argon2Parts, 'hash'>,
  outputLen: number,
): Promise<Buffer> {
  return hashRaw(password, {
    salt: parts.salt,
    algorithm: VARIANTS[parts.variant] as Algorithm,
    version: (parts.version === 0x13 ? 1 : 0) as Version,
    memoryCost: parts.m,
    timeCost: parts.t,
    parallelism: parts.p,
    outputLen,
  })
}

/** Django's `Argon2PasswordHasher`: argon2id, hashed on libuv's thread pool (`@node-rs/argon2`). */
export class Argon2Hasher implements PasswordHasher {
  readonly algorithm = 'argon2'
  readonly #m: number
  readonly #t: number
  readonly #p: number
  readonly #hashLength: number

  constructor(options: Argon2Options = {}) {
    this.#m = options.memoryCost ?? DEFAULT_ARGON2_MEMORY_COST
    this.#t = options.timeCost ?? DEFAULT_ARGON2_TIME_COST
    this.#p = options.parallelism ?? DEFAULT_ARGON2_PARALLELISM
    this.#hashLength = options.hashLength ?? DEFAULT_ARGON2_HASH_LENGTH
    checkInt('argon2.hashLength', this.#hashLength, 16, 1024)
    checkInt('argon2.parallelism', this.#p, 1, MAX_PARALLELISM)
    checkInt('argon2.memoryCost', this.#m, 8 * this.#p, MAX_MEMORY_COST)
    checkInt('argon2.timeCost', this.#t, 1, MAX_TIME_COST)
  }

  async encode(password: string): Promise<string> {
    const pw = requirePasswordBytes(password)
    // Django's salt: a 22-character random string, base64-encoded as bytes in the hash.
    const salt = Buffer.from(getRandomString(SALT_LENGTH), 'ascii')
    const parts = {
      variant: 'argon2id',
      version: 0x13,
      m: this.#m,
      t: this.#t,
      p: this.#p,
      salt,
    } as const
    const hash = await argon2Raw(pw, parts, this.#hashLength)
    // Built by hand: libargon2 and argon2-cffi require the m=,t=,p= order.
    return `argon2$argon2id$v=19$m=${this.#m},t=${this.#t},p=${this.#p}$${b64NoPad(salt)}$${b64NoPad(hash)}`
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    try {
      const pw = passwordBytes(password)
      const parts = typeof encoded === 'string' ? parseArgon2(encoded) : null
      if (!pw || !parts) return false
      const hash = await argon2Raw(pw, parts, parts.hash.length)
      return bytesEqual(hash, parts.hash)
    } catch {
      return false
    }
  }

  mustUpdate(encoded: string): boolean {
    const parts = typeof encoded === 'string' ? parseArgon2(encoded) : null
    if (!parts) return true
    return (
      parts.variant !== 'argon2id' ||
      parts.version !== 0x13 ||
      parts.m !== this.#m ||
      parts.t !== this.#t ||
      parts.p !== this.#p ||
      parts.hash.length !== this.#hashLength ||
      parts.salt.length * Math.log2(62) < 128
    )
  }
}

/** Throws a `RangeError` naming the option unless `value` is an integer in [min, max]. */
export function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`password hasher option ${name} must be an integer in [${min}, ${max}]`)
  }
}
