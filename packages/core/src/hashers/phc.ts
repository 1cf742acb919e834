/**
 * Bare PHC strings (`$argon2id$v=19$…`, `$2b$12$…`), as node-argon2, bcrypt and most stacks other than Django write
 * them, are Django's `argon2` and `bcrypt` formats without the algorithm prefix: Django stores
 * `'argon2' + argon2.hash(…)` and `'bcrypt$' + bcrypt.hashpw(…)`. These two functions move between the layouts.
 */

const ARGON2_PHC = /^\$argon2(id|i|d)\$/
const BCRYPT_PHC = /^\$2[aby]\$/

/**
 * Django's layout of a bare argon2 or bcrypt PHC string; any other value is returned unchanged. Argon2 parameters
 * come in m,t,p order there (libargon2 and argon2-cffi require it); node-argon2 ≥ 0.40 writes m,p,t, so a bare
 * string's three parameters are put in order first (each exactly once; anything else is left to fail verification).
 */
export function fromPhcHash(encoded: string): string {
  if (ARGON2_PHC.test(encoded)) {
    const parts = encoded.split('$')
    const i = parts[2]?.startsWith('v=') ? 3 : 2
    const params = orderedCost(parts[i] ?? '')
    if (params !== null) parts[i] = params
    return `argon2${parts.join('$')}`
  }
  if (BCRYPT_PHC.test(encoded)) return `bcrypt$${encoded}`
  return encoded
}

/**
 * The bare PHC string of a Django `argon2$…` or `bcrypt$…` hash; a bare PHC string is returned unchanged. Null for
 * formats that have no PHC spelling (`pbkdf2_sha256`, `scrypt`, `bcrypt_sha256`, …).
 */
export function toPhcHash(encoded: string): string | null {
  if (ARGON2_PHC.test(encoded) || BCRYPT_PHC.test(encoded)) return encoded
  if (encoded.startsWith('argon2$') && ARGON2_PHC.test(encoded.slice('argon2'.length)))
    return encoded.slice('argon2'.length)
  if (encoded.startsWith('bcrypt$') && BCRYPT_PHC.test(encoded.slice('bcrypt$'.length)))
    return encoded.slice('bcrypt$'.length)
  return null
}

function orderedCost(params: string): string | null {
  const found = new Map<string, string>()
  for (const part of params.split(',')) {
    const m = /^([mtp])=([0-9]+)$/.exec(part)
    if (!m || found.has(m[1]!)) return null
    found.set(m[1]!, m[2]!)
  }
  if (found.size !== 3) return null
  return `m=${found.get('m')},t=${found.get('t')},p=${found.get('p')}`
}
