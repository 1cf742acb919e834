import {
  ValidationError,
  validatePassword,
  type AuthSettings,
  type PasswordHashers,
} from '@cookiejwt/core'
import type { AdminUserChanges } from './rules.js'

// As `createsuperuser`: Django's username characters (ASCII here), at most 150.
const USERNAME = /^[\w.@+-]{1,150}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const NAME_MAX = 150
const EMAIL_MAX = 254

/** Fields of a new user, as the admin API and CLI take them; the password is plain text until hashed. */
export interface AdminNewUser extends AdminUserChanges {
  username: string
  password: string
}

/** Checks the values of editable fields (types are the route schema's job); collects field errors into `errors`. */
export function checkFieldValues(
  changes: AdminUserChanges,
  errors: Record<string, string[]>,
): void {
  if (changes.email !== undefined) {
    if (changes.email.length > EMAIL_MAX)
      errors.email = [`Ensure this field has no more than ${EMAIL_MAX} characters.`]
    else if (
      changes.email.includes('\u0000') ||
      (changes.email !== '' && !EMAIL.test(changes.email))
    )
      errors.email = ['Enter a valid email address.']
  }
  for (const [key, field] of [
    ['firstName', 'first_name'],
    ['lastName', 'last_name'],
  ] as const) {
    const value = changes[key]
    if (value === undefined) continue
    if (value.length > NAME_MAX)
      errors[field] = [`Ensure this field has no more than ${NAME_MAX} characters.`]
    else if (value.includes('\u0000')) errors[field] = ['Null characters are not allowed.']
  }
}

/** Throws a 400 with every field error of a patch. */
export function validateChanges(changes: AdminUserChanges): void {
  const errors: Record<string, string[]> = {}
  checkFieldValues(changes, errors)
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
}

/**
 * The password rules of `createsuperuser` (one function for both, so they cannot drift): blank refused, then the
 * configured validators against the user's attributes. Returns the messages; empty when acceptable.
 */
export function passwordProblems(
  settings: AuthSettings,
  password: string,
  user: { username?: string; email?: string; firstName?: string; lastName?: string },
): string[] {
  if (password === '') return ['This password may not be blank.']
  return validatePassword(password, settings.passwordValidators, user)
}

/** Validates a new user's fields and password; throws a 400 with every field error. */
export function validateNewUser(settings: AuthSettings, input: AdminNewUser): void {
  const errors: Record<string, string[]> = {}
  if (!USERNAME.test(input.username)) {
    errors.username = [
      'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
    ]
  }
  checkFieldValues(input, errors)
  const problems = passwordProblems(settings, input.password, input)
  if (problems.length > 0) errors.password = problems
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
}

/** Hashes a password; what no hash can hold (lone surrogates, over-long input) is a 400, not a 500. */
export async function hashPassword(hashers: PasswordHashers, password: string): Promise<string> {
  try {
    return await hashers.hash(password)
  } catch (error) {
    if (error instanceof RangeError)
      throw new ValidationError({ password: ['This password cannot be used.'] })
    throw error
  }
}
