// Over 300 lines on purpose: the account lifecycle (sign-up, verification, reset) shares its token and email steps.
import { createHash } from 'node:crypto'
import {
  AuthError,
  DuplicateUserError,
  parseUserId,
  ValidationError,
  validatePassword,
  type AuthSettings,
  type PasswordHashers,
  type User,
  type UserId,
  type UserStore,
} from '@cookiejwt/core'
import type { Mailer } from '../email/mailer.js'
import { describeDuration } from '../email/templates.js'
import type { ThrottleStore } from '../redis/throttle.js'
import type { ClientInfo, SessionManager } from '../sessions/manager.js'
import { ThrottledError } from '../throttle/lockout.js'
import { type AccountStore, accountTokenDigest, newAccountToken } from './store.js'

/** What the account flows need; the service layer's deps provide all of it. */
export interface AccountDeps {
  readonly settings: AuthSettings
  readonly users: UserStore
  readonly hashers: PasswordHashers
  readonly sessions: SessionManager
  readonly mailer: Mailer
  readonly store: AccountStore
  readonly throttleStore: ThrottleStore
  readonly now: () => Date
  /** Told when an email with a link cannot be sent because `frontendUrl` is not set. */
  readonly warn?: (message: string) => void
}

/** A sign-up as the wire gives it. */
export interface Registration {
  username: string
  email: string
  password: string
}

/** What a sign-up did: a user to log in (verification `none`), or "a verification email is on its way". */
export type RegistrationResult = { kind: 'created'; user: User } | { kind: 'verification_sent' }

/** Requests per counting window (`throttle.window`) before 429: sign-ups per IP. */
export const REGISTRATIONS_PER_IP = 20
/** Reset requests per address and per IP in one `throttle.window`. */
export const RESETS_PER_ADDRESS = 5
export const RESETS_PER_IP = 20
/** Verification emails a login of an unverified account sends per user in one `throttle.window`. */
export const VERIFICATION_EMAILS_PER_USER = 3

// Django's UnicodeUsernameValidator and its message.
const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u
const USERNAME_MESSAGE =
  'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'
// Django's EmailValidator, in the shape that matters here: one @, a dotted domain, no spaces or control characters.
const EMAIL =
  /^[^\s@<>()[\]\\,;:"\u0000-\u001f]+@[^\s@<>()[\]\\,;:"\u0000-\u001f]+\.[^\s@<>()[\]\\,;:"\u0000-\u001f]+$/
const INVALID_TOKEN = 'Invalid value'

/** Django's `urlsafe_base64_encode(force_bytes(pk))`: the uid of reset links. */
export function encodeUid(id: UserId): string {
  return Buffer.from(String(id)).toString('base64url')
}

/** The user id a uid names (an integer, or a UUID for a user table with UUID ids), or null when it is not one. */
export function decodeUid(uid: string): UserId | null {
  if (!/^[A-Za-z0-9_-]{1,48}$/.test(uid)) return null
  const text = Buffer.from(uid, 'base64url').toString('utf8')
  const id = /^[1-9]\d{0,14}$/.test(text) ? Number(text) : parseUserId('uuid', text)
  return id !== null && encodeUid(id) === uid ? id : null
}

/**
 * Sign-up, email verification and password reset, as plain functions over their dependencies. None of them reveals
 * whether an address or username has an account when verification is on: the answers and the work done are the same,
 * and the news goes by email to the address's owner.
 */
export class AccountService {
  readonly #d: AccountDeps

  constructor(deps: AccountDeps) {
    this.#d = deps
  }

  /** Creates an account (`registration` must be on). Throws `ValidationError` with DRF field errors. */
  async register(input: Registration, client: ClientInfo): Promise<RegistrationResult> {
    const { settings, users, hashers, mailer } = this.#d
    if (!settings.registration) throw new AuthError('not_found', 'Not found.')
    const now = this.#d.now()
    await this.#limit(`acct:register:ip:${client.ip ?? ''}`, REGISTRATIONS_PER_IP)
    const username = input.username.normalize('NFKC')
    const email = normalizeEmail(input.email)
    const errors: Record<string, string[]> = {}
    if (!USERNAME.test(username)) errors.username = [USERNAME_MESSAGE]
    if (!EMAIL.test(email) || email.length > 254) errors.email = ['Enter a valid email address.']
    const problems = validatePassword(input.password, settings.passwordValidators, {
      username,
      email,
    })
    if (problems.length > 0) errors.password = problems
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)

    const verify = settings.emailVerification !== 'none'
    // The password is hashed on every path, taken or free, so timing says nothing about existing accounts.
    const encoded = await hashPassword(hashers, input.password, 'password')
    const takenUsername = (await users.findByUsername(username)) !== null
    const takenEmail = (await this.#d.store.findUserIdsByEmail(email)).length > 0
    if (!verify) {
      const taken: Record<string, string[]> = {}
      if (takenUsername) taken.username = ['A user with that username already exists.']
      if (takenEmail) taken.email = ['A user is already registered with this e-mail address.']
      if (Object.keys(taken).length > 0) throw new ValidationError(taken)
    }
    let user: User | null = null
    if (!takenUsername && !takenEmail) {
      try {
        user = await users.create({ username, email, password: encoded }, now)
      } catch (error) {
        if (!(error instanceof DuplicateUserError)) throw error
        if (!verify)
          throw new ValidationError({ username: ['A user with that username already exists.'] })
      }
    }
    if (!verify) return { kind: 'created', user: user as User }
    if (user) await this.#sendVerification(user, now)
    else {
      // Someone holds the username or the address: its owner hears about it, the requester sees a normal sign-up.
      const base = this.#base()
      if (base !== null)
        await mailer.send(
          'already_registered',
          email,
          { email, link: `${base}/forgot-password` },
          now,
        )
    }
    return { kind: 'verification_sent' }
  }

  /** Spends a verification key and marks the address verified; returns the user. Throws 400 `invalid` otherwise. */
  async verifyEmail(key: string): Promise<User> {
    const { store, users } = this.#d
    const now = this.#d.now()
    const digest = accountTokenDigest(key, 'verify_email', '')
    const record = await store.findLiveToken(digest, 'verify_email', now)
    const user = record ? await users.findById(record.userId) : null
    // The address must still be the one the link was sent to: a changed email needs a new link.
    if (
      !record ||
      !user ||
      user.email.toLowerCase() !== record.email.toLowerCase() ||
      !(await store.spendToken(digest, 'verify_email', now))
    ) {
      throw new ValidationError({ key: ['This verification link is invalid or has expired.'] })
    }
    await store.markVerified(user.id, user.email, now)
    await store.spendAllTokens(user.id, 'verify_email', now)
    return user
  }

  /**
   * Sends a new verification link to an unverified account with this address; answers the same whether or not one
   * exists (and whether or not it is verified already).
   */
  async resendVerification(email: string, client: ClientInfo): Promise<void> {
    const now = this.#d.now()
    const address = normalizeEmail(email)
    await this.#limit(`acct:reset:ip:${client.ip ?? ''}`, RESETS_PER_IP)
    await this.#limit(`acct:verify:addr:${digest(address)}`, RESETS_PER_ADDRESS)
    for (const id of await this.#d.store.findUserIdsByEmail(address)) {
      const user = await this.#d.users.findById(id)
      if (user && user.isActive && !(await this.#d.store.isVerified(user.id, user.email)))
        await this.#sendVerification(user, now)
    }
  }

  /**
   * Queues a reset link for every active account with this address (Django's `PasswordResetForm.get_users`), or a
   * "no account here" email; the same work and the same answer either way. Throttled per address and per IP.
   */
  async requestPasswordReset(email: string, client: ClientInfo): Promise<void> {
    const { settings, store, users, mailer } = this.#d
    const now = this.#d.now()
    const address = normalizeEmail(email)
    await this.#limit(`acct:reset:ip:${client.ip ?? ''}`, RESETS_PER_IP)
    await this.#limit(`acct:reset:addr:${digest(address)}`, RESETS_PER_ADDRESS)
    const matches: User[] = []
    for (const id of await store.findUserIdsByEmail(address)) {
      const user = await users.findById(id)
      // An unusable password (Django's "!" prefix) has nothing to reset.
      if (user && user.isActive && !user.password.startsWith('!')) matches.push(user)
    }
    const expires = describeDuration(settings.passwordResetTimeout)
    if (matches.length === 0) {
      // Mirror the known path's work: a token and its digest, then one queued email (or none, by setting).
      accountTokenDigest(newAccountToken(), 'password_reset', `0:${address}`)
      if (settings.passwordResetUnknownAccounts)
        await mailer.send('password_reset_unknown', address, { email: address }, now)
      return
    }
    const base = this.#base()
    for (const user of matches) {
      if (base === null) break
      const token = newAccountToken()
      const expiresAt = new Date(now.getTime() + settings.passwordResetTimeout * 1000)
      await store.saveToken(
        accountTokenDigest(token, 'password_reset', resetBinding(user)),
        { userId: user.id, email: user.email, purpose: 'password_reset', expiresAt },
        now,
      )
      const link = `${base}/reset-password/${encodeUid(user.id)}/${token}`
      await mailer.send(
        'password_reset',
        user.email,
        { username: user.username, email: user.email, link, expires },
        now,
      )
    }
  }

  /**
   * Sets a new password from a reset link: the token must be live, of this user, and bound to the user's current
   * password hash and email. Ends every session of the user and kills the user's other reset links.
   */
  async confirmPasswordReset(uid: string, token: string, newPassword: string): Promise<User> {
    const { settings, store, users, hashers, sessions } = this.#d
    const now = this.#d.now()
    const id = decodeUid(uid)
    const user = id === null ? null : await users.findById(id)
    const tokenDigest = user ? accountTokenDigest(token, 'password_reset', resetBinding(user)) : ''
    const record = user ? await store.findLiveToken(tokenDigest, 'password_reset', now) : null
    if (!user || !record || record.userId !== user.id || !user.isActive) {
      throw new ValidationError({ token: [INVALID_TOKEN] })
    }
    // Checked before the token is spent: a refused password leaves the link usable for a better one.
    const problems = validatePassword(newPassword, settings.passwordValidators, user)
    if (problems.length > 0) throw new ValidationError({ new_password: problems })
    const encoded = await hashPassword(hashers, newPassword, 'new_password')
    if (!(await store.spendToken(tokenDigest, 'password_reset', now)))
      throw new ValidationError({ token: [INVALID_TOKEN] })
    await users.setPassword(user.id, encoded)
    await store.spendAllTokens(user.id, 'password_reset', now)
    // A reset means the password may be known to someone else: every session ends, every access token dies.
    await sessions.bumpVersion(user.id, now)
    await sessions.revokeAll(user.id, 'password_reset', now)
    // The link reached this address: it is verified (allauth does the same).
    if (record.email.toLowerCase() === user.email.toLowerCase())
      await store.markVerified(user.id, user.email, now)
    return user
  }

  /**
   * The login check after a right password: with `emailVerification: 'mandatory'`, an unverified address answers
   * 401 `email_not_verified` and gets a fresh link (at most a few per window).
   */
  async checkLogin(user: User): Promise<void> {
    if (this.#d.settings.emailVerification !== 'mandatory') return
    if (await this.#d.store.isVerified(user.id, user.email)) return
    const now = this.#d.now()
    const hit = await this.#d.throttleStore.hit(
      `acct:verify:user:${user.id}`,
      this.#d.settings.throttle.window * 1000,
    )
    if (hit.count <= VERIFICATION_EMAILS_PER_USER && user.email !== '')
      await this.#sendVerification(user, now)
    throw new AuthError('email_not_verified', 'E-mail is not verified.')
  }

  /** After a user changed their email: with verification on, a link goes to the new address (its old state no longer counts). */
  async addressChanged(user: User): Promise<void> {
    if (this.#d.settings.emailVerification === 'none' || user.email === '') return
    if (await this.#d.store.isVerified(user.id, user.email)) return
    await this.#sendVerification(user, this.#d.now())
  }

  /** Marks a user's current address verified (an operator's `createsuperuser`, an admin). */
  async markVerified(user: User): Promise<void> {
    if (user.email !== '') await this.#d.store.markVerified(user.id, user.email, this.#d.now())
  }

  async #sendVerification(user: User, now: Date): Promise<void> {
    const { settings, store, mailer } = this.#d
    const base = this.#base()
    if (base === null) return
    const token = newAccountToken()
    const expiresAt = new Date(now.getTime() + settings.emailVerificationLifetime * 1000)
    await store.saveToken(
      accountTokenDigest(token, 'verify_email', ''),
      { userId: user.id, email: user.email, purpose: 'verify_email', expiresAt },
      now,
    )
    const link = `${base}/verify-email/${token}`
    await mailer.send(
      'verify_email',
      user.email,
      {
        username: user.username,
        email: user.email,
        link,
        expires: describeDuration(settings.emailVerificationLifetime),
      },
      now,
    )
  }

  /** The base of links, or null (and a warning) when `frontendUrl` is not set: never a URL from the request's Host. */
  #base(): string | null {
    const base = this.#d.mailer.frontendUrl
    if (base === null)
      this.#d.warn?.(
        'frontendUrl is not set (COOKIEJWT_FRONTEND_URL): an account email with a link was not sent',
      )
    return base
  }

  /** Counts one request against `key`; 429 once over `limit` in the window (`throttle.enabled` turns it off). */
  async #limit(key: string, limit: number): Promise<void> {
    const { throttle } = this.#d.settings
    if (!throttle.enabled) return
    const hit = await this.#d.throttleStore.hit(key, throttle.window * 1000)
    if (hit.count > limit) throw new ThrottledError(hit.resetInMs / 1000)
  }
}

/** What a reset token is bound to: the user, the current password hash and email (Django's `_make_hash_value`). */
function resetBinding(user: User): string {
  return `${user.id}\u0000${user.password}\u0000${user.email.toLowerCase()}`
}

function normalizeEmail(email: string): string {
  // Django's BaseUserManager.normalize_email: the domain part is case-insensitive.
  const trimmed = email.trim()
  const at = trimmed.lastIndexOf('@')
  return at < 0 ? trimmed : `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`
}

function digest(value: string): string {
  return createHash('sha256').update(value.toLowerCase()).digest('hex').slice(0, 32)
}

async function hashPassword(
  hashers: PasswordHashers,
  password: string,
  field: string,
): Promise<string> {
  try {
    return await hashers.hash(password)
  } catch (error) {
    // The hashers refuse what no hash can hold (lone surrogates, over-long input): a 400, not a 500.
    if (error instanceof RangeError)
      throw new ValidationError({ [field]: ['This password cannot be used.'] })
    throw error
  }
}
