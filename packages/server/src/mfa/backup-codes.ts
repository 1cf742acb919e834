import { randomInt } from 'node:crypto'

/** Backup codes issued at each confirmation (and regeneration). */
export const BACKUP_CODE_COUNT = 10
/** Characters of a backup code: 10 from a 32-letter alphabet, 50 bits. */
export const BACKUP_CODE_LENGTH = 10

// Crockford's Base32: no I, L, O or U, so a code read aloud or written down survives (https://www.crockford.com/base32.html).
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const LOOK_ALIKES: Record<string, string> = { i: '1', l: '1', o: '0' }

/** Ten fresh codes, shown once as `xxxxx-xxxxx`; the server keeps only their digests. */
export function generateBackupCodes(count = BACKUP_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let code = ''
    // randomInt draws without modulo bias from the CSPRNG.
    for (let i = 0; i < BACKUP_CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)]
    return `${code.slice(0, 5)}-${code.slice(5)}`
  })
}

/**
 * The canonical form of a typed backup code: lower case, spaces and hyphens dropped, look-alike letters mapped
 * (I, L → 1; O → 0). Returns null for anything that cannot be a backup code, so it is never looked up.
 */
export function normalizeBackupCode(input: string): string | null {
  if (input.length > 64) return null
  const compact = input.toLowerCase().replace(/[\s-]/g, '')
  const mapped = [...compact].map((c) => LOOK_ALIKES[c] ?? c).join('')
  if (mapped.length !== BACKUP_CODE_LENGTH) return null
  for (const c of mapped) if (!ALPHABET.includes(c)) return null
  return mapped
}
