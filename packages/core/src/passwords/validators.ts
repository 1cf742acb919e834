import { DEFAULT_PASSWORD_LIST_PATH, loadPasswordList } from './common-passwords.js'
import { exceedsMaximumLengthRatio, quickRatio } from './similarity.js'

/** Longest password accepted anywhere; longer input is refused before hashing (denial-of-service guard). */
export const MAX_PASSWORD_LENGTH = 4096

/** A user attribute the similarity rule compares the password with. */
export type PasswordUserAttribute = 'username' | 'firstName' | 'lastName' | 'email'

/** Who the password belongs to, for the similarity rule; a new account passes what it has so far. */
export interface PasswordContext {
  username?: string
  email?: string
  firstName?: string
  lastName?: string
}

/** Django's default `AUTH_PASSWORD_VALIDATORS`, each one can be turned off (`enabled: false`). */
export interface PasswordValidatorSettings {
  /** `UserAttributeSimilarityValidator`. */
  readonly userAttributeSimilarity: {
    /** @default true */
    readonly enabled: boolean
    /** Compared in this order; the first too-similar attribute is reported. @default ['username', 'firstName', 'lastName', 'email'] */
    readonly userAttributes: readonly PasswordUserAttribute[]
    /** Refuse at this `quick_ratio` or above; at least 0.1. @default 0.7 */
    readonly maxSimilarity: number
  }
  /** `MinimumLengthValidator`. */
  readonly minimumLength: {
    /** @default true */
    readonly enabled: boolean
    /** @default 8 */
    readonly minLength: number
  }
  /** `CommonPasswordValidator`. */
  readonly commonPassword: {
    /** @default true */
    readonly enabled: boolean
    /** A gzip or plain-text list, one password a line; `null` is Django's list shipped with the package. @default null */
    readonly passwordListPath: string | null
  }
  /** `NumericPasswordValidator`. */
  readonly numeric: {
    /** @default true */
    readonly enabled: boolean
  }
}

// Python's str.isdigit(): decimal digits of any script plus the characters with Numeric_Type=Digit (superscripts,
// circled digits, …), at least one character.
const IS_DIGIT =
  /^[\p{Nd}\u{b2}-\u{b3}\u{b9}\u{1369}-\u{1371}\u{19da}\u{2070}\u{2074}-\u{2079}\u{2080}-\u{2089}\u{2460}-\u{2468}\u{2474}-\u{247c}\u{2488}-\u{2490}\u{24ea}\u{24f5}-\u{24fd}\u{24ff}\u{2776}-\u{277e}\u{2780}-\u{2788}\u{278a}-\u{2792}\u{10a40}-\u{10a43}\u{10e60}-\u{10e68}\u{11052}-\u{1105a}\u{1f100}-\u{1f10a}]+$/u

/** Django's `verbose_name` of each `auth_user` field, used in the similarity message. */
const VERBOSE_NAMES: Record<PasswordUserAttribute, string> = {
  username: 'username',
  firstName: 'first name',
  lastName: 'last name',
  email: 'email address',
}

/**
 * Checks a new password with the configured rules, in Django's order (similarity, length, common, numeric) and with
 * Django's messages. Returns the messages; an empty list means the password is acceptable.
 * @example validatePassword('correct horse', settings.passwordValidators, { username: 'ada' })
 */
export function validatePassword(
  password: string,
  rules: PasswordValidatorSettings,
  context: PasswordContext | null = null,
): string[] {
  if (password.length > MAX_PASSWORD_LENGTH) {
    return [`This password is too long. It must contain at most ${MAX_PASSWORD_LENGTH} characters.`]
  }
  const errors: string[] = []
  const chars = Array.from(password)
  if (rules.userAttributeSimilarity.enabled && context) {
    const similar = similarAttribute(password, rules.userAttributeSimilarity, context)
    if (similar) errors.push(`The password is too similar to the ${VERBOSE_NAMES[similar]}.`)
  }
  if (rules.minimumLength.enabled && chars.length < rules.minimumLength.minLength) {
    const n = rules.minimumLength.minLength
    errors.push(
      `This password is too short. It must contain at least ${n} character${n === 1 ? '' : 's'}.`,
    )
  }
  if (rules.commonPassword.enabled) {
    const list = loadPasswordList(
      rules.commonPassword.passwordListPath ?? DEFAULT_PASSWORD_LIST_PATH,
    )
    if (list.has(password.toLowerCase().trim())) errors.push('This password is too common.')
  }
  if (rules.numeric.enabled && IS_DIGIT.test(password))
    errors.push('This password is entirely numeric.')
  return errors
}

/** Django's `UserAttributeSimilarityValidator.validate`: each attribute whole and split on non-word characters. */
function similarAttribute(
  password: string,
  rule: PasswordValidatorSettings['userAttributeSimilarity'],
  context: PasswordContext,
): PasswordUserAttribute | null {
  const pwd = Array.from(password.toLowerCase())
  for (const attribute of rule.userAttributes) {
    const value = context[attribute]
    if (!value || typeof value !== 'string') continue
    const lower = value.toLowerCase()
    // re.split(r'\W+', value) + [value]; Python's \w is Unicode letters, digits and underscore.
    const parts = [...lower.split(/[^\p{L}\p{N}_]+/u), lower]
    for (const part of parts) {
      const chars = Array.from(part)
      if (exceedsMaximumLengthRatio(pwd.length, rule.maxSimilarity, chars.length)) continue
      if (quickRatio(pwd, chars) >= rule.maxSimilarity) return attribute
    }
  }
  return null
}
