import { scrypt } from 'node:crypto'

import { checkInt } from './argon2.js'
import {
  SALT_LENGTH,
  getRandomString,
  parsePositiveInt,
  passwordBytes,
  requirePasswordBytes,
  stringsEqual,
} from './encoding.js'
import type { PasswordHasher } from './types.js'

/** Django's `ScryptPasswordHasher.work_factor` (N). */
export const DEFAULT_SCRYPT_WORK_FACTOR = 2 ** 14
/** Django's `ScryptPasswordHasher.block_size` (r). */
export const DEFAULT_SCRYPT_BLOCK_SIZE = 8
/** Django's `ScryptPasswordHasher.parallelism` (p). */
export const DEFAULT_SCRYPT_PARALLELISM = 1
/** Django's key length (`dklen=64`). */
const KEY_LENGTH = 64
/** Stored hashes needing more memory than this are refused (a hostile row must not exhaust memory). */
const MAX_MEMORY = 1024 * 1024 * 1024

/** Options of {@link ScryptHasher}; Django's names. */
export interface ScryptOptions {
  workFactor?: number
  blockSize?: number
  parallelism?: number
}

interface ScryptParts {
  n: number
  salt: string
  r: number
  p: number
}

/** Bytes scrypt needs for these parameters (128·N·r for V, 128·r·p for B), with slack. */
function memoryFor(n: number, r: number, p: number): number {
  return 128 * n * r + 128 * r * p + 1024 * 1024
}

function isPowerOfTwo(n: number): boolean {
  return n > 1 && (n & (n - 1)) === 0
}

/**
 * Django's `ScryptPasswordHasher` (Django ≥ 4.0): `scrypt$<N>$<salt>$<r>$<p>$<base64 64-byte key>`,
 * computed with `crypto.scrypt` on libuv's thread pool.
 */
export class ScryptHasher implements PasswordHasher {
  readonly algorithm = 'scrypt'
  readonly #n: number
  readonly #r: number
  readonly #p: number

  constructor(options: ScryptOptions = {}) {
    this.#n = options.workFactor ?? DEFAULT_SCRYPT_WORK_FACTOR
    this.#r = options.blockSize ?? DEFAULT_SCRYPT_BLOCK_SIZE
    this.#p = options.parallelism ?? DEFAULT_SCRYPT_PARALLELISM
    checkInt('scrypt.workFactor', this.#n, 2, 2 ** 20)
    if (!isPowerOfTwo(this.#n))
      throw new RangeError('password hasher option scrypt.workFactor must be a power of 2')
    checkInt('scrypt.blockSize', this.#r, 1, 64)
    checkInt('scrypt.parallelism', this.#p, 1, 64)
    if (memoryFor(this.#n, this.#r, this.#p) > MAX_MEMORY) {
      throw new RangeError('password hasher options scrypt.* need more than 1 GiB of memory')
    }
  }

  async encode(password: string): Promise<string> {
    const pw = requirePasswordBytes(password)
    return this.#encode(pw, {
      n: this.#n,
      salt: getRandomString(SALT_LENGTH),
      r: this.#r,
      p: this.#p,
    })
  }

  async #encode(password: Buffer, { n, salt, r, p }: ScryptParts): Promise<string> {
    const key = await new Promise<Buffer>((resolve, reject) => {
      scrypt(
        password,
        Buffer.from(salt, 'utf8'),
        KEY_LENGTH,
        { N: n, r, p, maxmem: memoryFor(n, r, p) },
        (err, k) => (err ? reject(err) : resolve(k)),
      )
    })
    return `scrypt$${n}$${salt}$${r}$${p}$${key.toString('base64')}`
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    try {
      const pw = passwordBytes(password)
      const parts = parseScrypt(encoded)
      if (!pw || !parts) return false
      return stringsEqual(await this.#encode(pw, parts), encoded)
    } catch {
      return false
    }
  }

  mustUpdate(encoded: string): boolean {
    const parts = parseScrypt(encoded)
    return (
      !parts ||
      parts.n !== this.#n ||
      parts.r !== this.#r ||
      parts.p !== this.#p ||
      parts.salt.length * Math.log2(62) < 128
    )
  }
}

function parseScrypt(encoded: string): ScryptParts | null {
  if (typeof encoded !== 'string') return null
  const parts = encoded.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null
  const n = parsePositiveInt(parts[1], 2 ** 20)
  const r = parsePositiveInt(parts[3], 64)
  const p = parsePositiveInt(parts[4], 64)
  const salt = parts[2]!
  if (n === null || r === null || p === null || !isPowerOfTwo(n) || salt === '') return null
  if (memoryFor(n, r, p) > MAX_MEMORY || !/^[A-Za-z0-9+/]+=*$/.test(parts[5]!)) return null
  return { n, salt, r, p }
}
