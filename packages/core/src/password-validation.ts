/** Longest password accepted anywhere; longer input is refused before hashing (denial-of-service guard). */
export const MAX_PASSWORD_LENGTH = 4096

/** A few of the most common passwords (Django ships a 20,000-entry list; these are its head). */
const COMMON_PASSWORDS = new Set([
  'password', 'password1', 'password123', '12345678', '123456789', '1234567890', 'qwerty', 'qwertyuiop',
  'qwerty123', '1q2w3e4r', '1qaz2wsx', 'abc12345', 'abcd1234', 'iloveyou', 'sunshine', 'princess', 'football',
  'baseball', 'welcome', 'welcome1', 'letmein', 'monkey', 'dragon', 'master', 'superman', 'trustno1', 'passw0rd',
  'starwars', 'whatever', 'shadow', 'michael', 'jennifer', 'computer', 'michelle', 'charlie', 'zaq12wsx',
  'admin123', 'administrator', 'changeme', 'secret123', 'p@ssw0rd', 'p@ssword', 'qazwsxedc', 'asdfghjkl',
  'internet', 'freedom', 'loveme', 'hello123', 'letmein1', 'password!', 'passpass', 'testtest', 'test1234',
])

/** Who the password belongs to, for the similarity check. */
export interface PasswordContext {
  username?: string
  email?: string
  firstName?: string
  lastName?: string
}

/**
 * Checks a new password as Django's default `AUTH_PASSWORD_VALIDATORS` do: minimum length, not entirely numeric,
 * not common, not too similar to the user's attributes. Returns the messages (empty when acceptable).
 */
export function validatePassword(password: string, minLength: number, context: PasswordContext = {}): string[] {
  const errors: string[] = []
  if (password.length > MAX_PASSWORD_LENGTH) {
    return [`This password is too long. It must contain at most ${MAX_PASSWORD_LENGTH} characters.`]
  }
  if (password.length < minLength) {
    errors.push(`This password is too short. It must contain at least ${minLength} characters.`)
  }
  if (COMMON_PASSWORDS.has(password.toLowerCase().trim())) errors.push('This password is too common.')
  if (/^\d+$/.test(password)) errors.push('This password is entirely numeric.')
  for (const [label, value] of [
    ['username', context.username],
    ['email address', context.email?.split('@')[0]],
    ['first name', context.firstName],
    ['last name', context.lastName],
  ] as const) {
    if (value && value.length >= 3 && tooSimilar(password, value)) {
      errors.push(`The password is too similar to the ${label}.`)
      break
    }
  }
  return errors
}

function tooSimilar(password: string, attribute: string): boolean {
  const p = password.toLowerCase()
  const a = attribute.toLowerCase()
  if (p.includes(a) && a.length * 2 >= p.length) return true
  return similarity(p, a) >= 0.7
}

// 1 − normalised Levenshtein distance; Django uses difflib's ratio, which is close enough for this guard.
function similarity(a: string, b: string): number {
  if (a.length > 256 || b.length > 256) return 0
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = current
    }
  }
  return 1 - (row[b.length] ?? 0) / Math.max(a.length, b.length, 1)
}
