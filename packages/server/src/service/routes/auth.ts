import {
  AuthError,
  ValidationError,
  csrfSecretFromCookie,
  generateCsrfSecret,
  maskCsrfSecret,
  serializeAccessCookie,
  serializeClearedAccessCookie,
  serializeClearedAuthCookies,
  serializeCsrfCookie,
  serializeMfaCookie,
  serializeRefreshCookie,
  toPublicUser,
  validatePassword,
  verifyAccessToken,
  type User,
} from '@cookiejwt/core'
import {
  blacklistRefreshToken,
  endOtherSessions,
  refreshTokens,
  type IssuedPair,
} from '../../flows.js'
import { beginMfaLogin } from '../../mfa/login.js'
import { MfaEnrollmentRequiredError } from '../../mfa/required.js'
import { requireRecentAuthentication } from '../../reauth.js'
import { checkPasswordAttempt } from '../../throttle/lockout.js'
import { withCookies } from '../errors.js'
import type { RouteDef, ServiceDeps } from '../types.js'
import { loginBody, loginCookies, loginExpiries } from './login-response.js'
import { mfaLoginDeps } from './mfa.js'
import {
  credentialsBody,
  loginResponse,
  objectResponse,
  optionalRefreshBody,
  passwordChangeBody,
  profileBody,
  userResponse,
} from './schemas.js'

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
})
/** The JSON of users that requests share (frozen: the SQLite store's cache of unchanged rows), rendered once. */
const renderedUsers = new WeakMap<User, string>()

/** `GET /api/auth/me/`'s body: the public fields of the user, as JSON. */
function publicUserJson(user: User): string {
  if (!Object.isFrozen(user)) return JSON.stringify(toPublicUser(user))
  let json = renderedUsers.get(user)
  if (json === undefined) {
    json = JSON.stringify(toPublicUser(user))
    renderedUsers.set(user, json)
  }
  return json
}

/** The cookie flow for browsers: login, refresh, logout, me, password change, CSRF. */
export function authRoutes(deps: ServiceDeps): RouteDef[] {
  const { settings, users, hashers } = deps
  const mfaLogin = mfaLoginDeps(deps)

  const pairCookies = (pair: IssuedPair): string[] => {
    const cookies = [serializeAccessCookie(settings, pair.access.token)]
    if (pair.refresh) cookies.push(serializeRefreshCookie(settings, pair.refresh.token))
    return cookies
  }
  const isValidAccess = (token: string, now: Date): boolean => {
    try {
      verifyAccessToken(settings, token, { now })
      return true
    } catch {
      return false
    }
  }

  return [
    {
      method: 'POST',
      path: '/api/auth/login/',
      guardOrigin: true,
      schema: {
        response: { 200: loginResponse },
        errors: [
          'no_active_account',
          'permission_denied',
          'mfa_enrollment_required',
          'invalid',
          'throttled',
        ],
        body: credentialsBody,
        summary:
          'Log in: sets the access, refresh and CSRF cookies, or answers mfa_required with the mfa_token cookie',
        tags: ['auth'],
      },
      async handler({ body, client, cookie }) {
        // A login replaces the browser's session: the one its cookies belonged to ends too (ASVS 5.0 §7.2.4), rather
        // than lingering, orphaned, until it expires — also when the login ends in the TOTP enrolment, whose answer
        // clears the JWT cookies.
        const endPrevious = async (): Promise<void> => {
          const previous = cookie(settings.refreshCookie.name)
          if (previous) await blacklistRefreshToken(deps, previous).catch(() => {})
        }
        let step: Awaited<ReturnType<typeof beginMfaLogin>>
        try {
          step = await beginMfaLogin(mfaLogin, body.username, body.password, client)
        } catch (error) {
          if (error instanceof MfaEnrollmentRequiredError) await endPrevious()
          throw error
        }
        await endPrevious()
        if (step.mfaRequired) {
          // No access or refresh cookie yet: only the mfa token, good for POST /api/auth/login/mfa/ alone. Cookies of
          // an earlier session in this browser go, so the second step cannot end up mixing two accounts.
          return {
            cookies: [
              serializeMfaCookie(settings, step.mfaToken.token),
              ...serializeClearedAuthCookies(settings),
            ],
            body: { mfa_required: true },
          }
        }
        const { user, pair } = step
        return { cookies: loginCookies(settings, pair), body: loginBody(settings, user, pair) }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/refresh/',
      guardOrigin: true,
      schema: {
        response: { 200: objectResponse },
        errors: [
          'token_not_valid',
          'permission_denied',
          'mfa_enrollment_required',
          'invalid',
          'throttled',
        ],
        body: optionalRefreshBody,
        summary: 'New access cookie and rotated refresh cookie',
        tags: ['auth'],
      },
      async handler({ body, cookie, client }) {
        const raw =
          cookie(settings.refreshCookie.name) || (body as { refresh?: string } | null)?.refresh
        try {
          if (!raw) throw new AuthError('token_not_valid', 'No refresh token was provided')
          const pair = await refreshTokens(deps, raw, client)
          return { cookies: pairCookies(pair), body: loginExpiries(pair) }
        } catch (error) {
          // A refresh that fails leaves no half-valid session behind in the browser (a throttled one is not a verdict).
          if (error instanceof AuthError && error.code !== 'throttled')
            throw withCookies(error, serializeClearedAuthCookies(settings))
          throw error
        }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/logout/',
      guardOrigin: true,
      schema: {
        response: { 200: objectResponse },
        errors: ['permission_denied', 'invalid'],
        body: optionalRefreshBody,
        summary: 'Log out: blacklists the refresh token, clears the cookies',
        tags: ['auth'],
      },
      async handler({ body, cookie }) {
        const raw =
          cookie(settings.refreshCookie.name) || (body as { refresh?: string } | null)?.refresh
        if (raw) {
          try {
            await blacklistRefreshToken(deps, raw)
          } catch (error) {
            // Logout is idempotent: an invalid, expired or already blacklisted token still logs out.
            if (!(error instanceof AuthError)) throw error
          }
        }
        return { cookies: serializeClearedAuthCookies(settings), body: {} }
      },
    },
    {
      method: 'GET',
      path: '/api/auth/me/',
      auth: 'required',
      schema: {
        response: { 200: userResponse },
        errors: ['not_authenticated', 'token_not_valid', 'user_not_found', 'user_inactive'],
        summary: 'The authenticated user',
        tags: ['auth'],
      },
      async handler({ user }) {
        return { raw: publicUserJson(await user()), headers: JSON_HEADERS }
      },
    },
    {
      method: 'PATCH',
      path: '/api/auth/me/',
      auth: 'required',
      schema: {
        response: { 200: userResponse },
        errors: [
          'not_authenticated',
          'token_not_valid',
          'user_not_found',
          'user_inactive',
          'permission_denied',
          'reauthentication_required',
          'invalid',
          'throttled',
        ],
        body: profileBody,
        summary: 'Update email and names (an email change may need the password again)',
        tags: ['auth'],
      },
      async handler({ user, body, auth, client }) {
        const current = await user()
        const {
          email,
          first_name: firstName,
          last_name: lastName,
          password,
        } = body as {
          email?: string
          first_name?: string
          last_name?: string
          password?: string
        }
        if (email !== undefined && email !== '' && !EMAIL.test(email)) {
          throw new ValidationError({ email: ['Enter a valid email address.'] })
        }
        // The email address recovers the account: changing it needs a recent login or the password (ASVS 7.5.1).
        if (email !== undefined && email !== current.email && auth) {
          await requireRecentAuthentication(
            deps,
            current,
            auth.token,
            password,
            client,
            'email_change',
          )
        }
        const updated = await users.update(current.id, {
          ...(email !== undefined ? { email } : {}),
          ...(firstName !== undefined ? { firstName } : {}),
          ...(lastName !== undefined ? { lastName } : {}),
        })
        if (!updated) throw new AuthError('user_not_found', 'User not found')
        // A new address is unverified until its owner opens the link sent to it.
        if (updated.email !== current.email) await deps.accounts.addressChanged(updated)
        return { body: toPublicUser(updated) }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/password/change/',
      auth: 'required',
      schema: {
        response: { 200: objectResponse },
        errors: [
          'not_authenticated',
          'token_not_valid',
          'user_not_found',
          'user_inactive',
          'permission_denied',
          'invalid',
          'throttled',
        ],
        body: passwordChangeBody,
        summary: 'Change the password; ends the other sessions',
        tags: ['auth'],
      },
      async handler({ user, body, auth, client }) {
        const current = await user()
        const { old_password: oldPassword, new_password: newPassword } = body as {
          old_password: string
          new_password: string
        }
        // Counted as a login attempt: a stolen session cannot guess the password here faster than at login.
        const check = await checkPasswordAttempt(
          deps.throttle,
          hashers,
          current,
          oldPassword,
          client.ip ?? '',
        )
        if (!check.valid) {
          throw new ValidationError({
            old_password: ['Your old password was entered incorrectly. Please enter it again.'],
          })
        }
        const problems = validatePassword(newPassword, settings.passwordValidators, current)
        if (problems.length > 0) throw new ValidationError({ new_password: problems })
        let encoded: string
        try {
          encoded = await hashers.hash(newPassword)
        } catch (error) {
          // The hashers refuse what no hash can hold (lone surrogates, over-long input): a 400, not a 500.
          if (error instanceof RangeError)
            throw new ValidationError({ new_password: ['This password cannot be used.'] })
          throw error
        }
        await users.setPassword(current.id, encoded)
        // Other sessions end; this one stays, at the new session version (Django's update_session_auth_hash).
        const pair = await endOtherSessions(deps, current, auth, client)
        return { body: {}, ...(pair ? { cookies: pairCookies(pair) } : {}) }
      },
    },
    {
      method: 'GET',
      path: '/api/auth/csrf/',
      schema: {
        response: { 200: { type: 'object', properties: { csrfToken: { type: 'string' } } } },
        errors: [],
        summary: 'A CSRF token, and the csrftoken cookie',
        tags: ['auth'],
      },
      handler({ cookie, now }) {
        const secret =
          csrfSecretFromCookie(cookie(settings.csrf.cookieName)) ?? generateCsrfSecret()
        const cookies = [serializeCsrfCookie(settings, secret)]
        const stale = cookie(settings.authCookie.name)
        if (stale && !isValidAccess(stale, now))
          cookies.push(serializeClearedAccessCookie(settings))
        return { cookies, body: { csrfToken: maskCsrfSecret(secret) } }
      },
    },
  ]
}
