import { createHash } from 'node:crypto'

import type Bcrypt from 'bcrypt'

// The native module loads on first use: most deployments never meet a bcrypt hash, and start-up time matters.
let bcryptModule: Promise<typeof Bcrypt> | undefined
const loadBcrypt = (): Promise<typeof Bcrypt> =>
  (bcryptModule ??= import('bcrypt').then((m) => m.default))

import { checkInt } from './argon2.js'
import { passwordBytes, requirePasswordBytes, stringsEqual } from './encoding.js'
import type { PasswordHasher } from './types.js'

/** Django's `BCryptSHA256PasswordHasher.rounds`. */
export const DEFAULT_BCRYPT_ROUNDS = 12
/** Stored hashes with a higher cost are refused (2^16 rounds is already seconds of CPU). */
const MAX_BCRYPT_ROUNDS = 16

/** `$2b$12$` + 22-character salt + 31-character hash (the `$2a$`/`$2y$` spellings too). */
const BCRYPT_RE = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/

/**
 * Django's `BCryptSHA256PasswordHasher` (`bcrypt_sha256$$2b$12$…`: bcrypt of the hex SHA-256 of
 * the password, so nothing past 72 bytes is lost) and `BCryptPasswordHasher` (`bcrypt$$2b$…`,
 * raw password, truncated at 72 bytes by bcrypt itself). Uses the native `bcrypt` binding, whose
 * async calls run on libuv's thread pool (bcryptjs would burn the event loop's own CPU).
 */
export class BcryptHasher implements PasswordHasher {
  readonly algorithm: 'bcrypt_sha256' | 'bcrypt'
  readonly #sha256: boolean
  readonly #rounds: number

  constructor(sha256 = true, rounds: number = DEFAULT_BCRYPT_ROUNDS) {
    checkInt('bcryptRounds', rounds, 4, MAX_BCRYPT_ROUNDS)
    this.#sha256 = sha256
    this.algorithm = sha256 ? 'bcrypt_sha256' : 'bcrypt'
    this.#rounds = rounds
  }

  /** The bytes bcrypt sees, or `null` when plain bcrypt cannot take them (a NUL byte). */
  #input(password: Buffer): Buffer | null {
    if (this.#sha256)
      return Buffer.from(createHash('sha256').update(password).digest('hex'), 'ascii')
    // C bcrypt stops at NUL, so 'a\0b' would match 'a'; Python's bcrypt refuses such input too.
    return password.includes(0) ? null : password
  }

  async encode(password: string): Promise<string> {
    const input = this.#input(requirePasswordBytes(password))
    if (!input) throw new RangeError('bcrypt cannot hash a password containing a NUL character')
    const bcrypt = await loadBcrypt()
    const salt = await bcrypt.genSalt(this.#rounds, 'b')
    return `${this.algorithm}$${await bcrypt.hash(input, salt)}`
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    try {
      const pw = passwordBytes(password)
      const data = this.#data(encoded)
      if (!pw || !data) return false
      const input = this.#input(pw)
      if (!input) return false
      // Django's way: hash again with the stored salt and compare in constant time. The native
      // binding knows $2a$ and $2b$; $2y$ (PHP) is the same algorithm as $2b$.
      const salt = data.slice(0, 29).replace(/^\$2y\$/, '$2b$')
      const again = (await (await loadBcrypt()).hash(input, salt)).slice(7)
      return stringsEqual(again, data.slice(7))
    } catch {
      return false
    }
  }

  mustUpdate(encoded: string): boolean {
    const data = this.#data(encoded)
    return !data || Number(data.slice(4, 6)) !== this.#rounds
  }

  #data(encoded: string): string | null {
    if (typeof encoded !== 'string') return null
    const prefix = `${this.algorithm}$`
    if (!encoded.startsWith(prefix)) return null
    const data = encoded.slice(prefix.length)
    const m = BCRYPT_RE.exec(data)
    if (!m) return null
    const rounds = Number(m[1])
    return rounds >= 4 && rounds <= MAX_BCRYPT_ROUNDS ? data : null
  }
}
