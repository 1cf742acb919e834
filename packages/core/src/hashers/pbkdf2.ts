import { pbkdf2 } from 'node:crypto'

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

/** Django 5.2's PBKDF2 iteration count (OWASP asks for at least 600 000 with SHA-256). */
export const DEFAULT_PBKDF2_ITERATIONS = 1_000_000
/** Stored hashes asking for more iterations than this are refused (a hostile row must not stall a thread). */
const MAX_PBKDF2_ITERATIONS = 10_000_000

type Digest = 'sha256' | 'sha1'

/** Django's `pbkdf2(password, salt, iterations, digest)`: full digest-length key, off the event loop. */
function derive(
  password: Buffer,
  salt: string,
  iterations: number,
  digest: Digest,
): Promise<Buffer> {
  const keylen = digest === 'sha256' ? 32 : 20
  return new Promise((resolve, reject) => {
    pbkdf2(password, Buffer.from(salt, 'utf8'), iterations, keylen, digest, (err, key) =>
      err ? reject(err) : resolve(key),
    )
  })
}

/**
 * Django's `PBKDF2PasswordHasher` (`pbkdf2_sha256`) and `PBKDF2SHA1PasswordHasher`
 * (`pbkdf2_sha1`): `<algorithm>$<iterations>$<salt>$<base64 key>`.
 */
export class Pbkdf2Hasher implements PasswordHasher {
  readonly algorithm: 'pbkdf2_sha256' | 'pbkdf2_sha1'
  readonly #digest: Digest
  readonly #iterations: number

  constructor(digest: Digest = 'sha256', iterations: number = DEFAULT_PBKDF2_ITERATIONS) {
    checkInt('pbkdf2Iterations', iterations, 1, MAX_PBKDF2_ITERATIONS)
    this.#digest = digest
    this.algorithm = digest === 'sha256' ? 'pbkdf2_sha256' : 'pbkdf2_sha1'
    this.#iterations = iterations
  }

  async encode(password: string): Promise<string> {
    return this.#encode(
      requirePasswordBytes(password),
      getRandomString(SALT_LENGTH),
      this.#iterations,
    )
  }

  async #encode(password: Buffer, salt: string, iterations: number): Promise<string> {
    const key = await derive(password, salt, iterations, this.#digest)
    return `${this.algorithm}$${iterations}$${salt}$${key.toString('base64')}`
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    try {
      const pw = passwordBytes(password)
      const parts = this.#parse(encoded)
      if (!pw || !parts) return false
      return stringsEqual(await this.#encode(pw, parts.salt, parts.iterations), encoded)
    } catch {
      return false
    }
  }

  mustUpdate(encoded: string): boolean {
    const parts = this.#parse(encoded)
    return (
      !parts || parts.iterations !== this.#iterations || parts.salt.length * Math.log2(62) < 128
    )
  }

  #parse(encoded: string): { iterations: number; salt: string } | null {
    if (typeof encoded !== 'string') return null
    const parts = encoded.split('$')
    if (parts.length !== 4 || parts[0] !== this.algorithm) return null
    const iterations = parsePositiveInt(parts[1], MAX_PBKDF2_ITERATIONS)
    const salt = parts[2]!
    if (iterations === null || salt === '' || !/^[A-Za-z0-9+/]+=*$/.test(parts[3]!)) return null
    return { iterations, salt }
  }
}
