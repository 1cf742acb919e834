import { AuthError, mfaCookieSettings, serializeClearedMfaCookie } from '@cookiejwt/core'
import {
  confirmTotp,
  disableTotp,
  regenerateBackupCodes,
  setupTotp,
  totpStatus,
} from '../../mfa/flows.js'
import { beginEnrollment, finishEnrollment } from '../../mfa/enrollment.js'
import { finishMfaLogin, type MfaLoginDeps } from '../../mfa/login.js'
import { requireRecentAuthentication } from '../../reauth.js'
import { withCookies } from '../errors.js'
import type { RouteDef, ServiceDeps } from '../types.js'
import { loginBody, loginCookies } from './login-response.js'
import {
  loginResponse,
  objectResponse,
  pairResponse,
  reauthBody,
  requiredString,
  TOKEN_MAX,
} from './schemas.js'

/** Longest code accepted: a TOTP code is 6 digits, a backup code 10 characters; spaces and hyphens may be typed. */
const CODE_MAX = 64

/** `{ code }` */
export const codeBody = {
  type: 'object',
  required: ['code'],
  properties: { code: requiredString(CODE_MAX) },
} as const

/** `{ password }` */
export const passwordBody = {
  type: 'object',
  required: ['password'],
  properties: { password: requiredString(4096) },
} as const

/** `{ mfa_token, code }` */
export const mfaTokenBody = {
  type: 'object',
  required: ['mfa_token', 'code'],
  properties: { mfa_token: requiredString(TOKEN_MAX), code: requiredString(CODE_MAX) },
} as const

/** `{ mfa_token }` */
export const enrollmentTokenBody = {
  type: 'object',
  required: ['mfa_token'],
  properties: { mfa_token: requiredString(TOKEN_MAX) },
} as const

/** No body, or an empty object. */
const emptyBody = { type: ['object', 'null'], properties: {} } as const

const setupResponse = {
  type: 'object',
  properties: { secret: { type: 'string' }, otpauth_url: { type: 'string' } },
} as const
const backupCodesProperty = { type: 'array', items: { type: 'string' } } as const

/** The two-step login's dependencies out of the service's. */
export function mfaLoginDeps(deps: ServiceDeps): MfaLoginDeps {
  return { flow: deps, mfa: deps.mfa, spent: deps.throttleStore }
}

/**
 * The TOTP second factor: status, enrolment (setup → confirm), turning it off, new backup codes, and the code step
 * of a login for both flows (`POST /api/auth/login/mfa/` with the `mfa_token` cookie, `POST /api/token/mfa/` with the
 * token in the body). The password steps are the login routes (`auth.ts`, `token.ts`).
 */
export function mfaRoutes(deps: ServiceDeps): RouteDef[] {
  const { settings } = deps
  const login = mfaLoginDeps(deps)
  const mfaCookie = mfaCookieSettings(settings).name
  /**
   * A step of the cookie flow with the `mfa_token` cookie (the code step, the enrolment): no cookie is
   * `token_not_valid`, and an error in `clearOn` clears the cookie along with it.
   */
  const withMfaToken = async <T>(
    cookie: (name: string) => string | undefined,
    clearOn: readonly string[],
    step: (raw: string) => Promise<T>,
  ): Promise<T> => {
    const raw = cookie(mfaCookie)
    try {
      if (!raw) throw new AuthError('token_not_valid', 'No MFA token was provided')
      return await step(raw)
    } catch (error) {
      if (error instanceof AuthError && clearOn.includes(error.code))
        throw withCookies(error, [serializeClearedMfaCookie(settings)])
      throw error
    }
  }
  const codeErrors = [
    'not_authenticated',
    'token_not_valid',
    'permission_denied',
    'invalid',
    'throttled',
  ]

  return [
    {
      method: 'GET',
      path: '/api/auth/mfa/totp/',
      auth: 'required',
      schema: {
        response: { 200: objectResponse },
        summary: 'Whether TOTP is on, pending, and the unused backup codes left',
        tags: ['mfa'],
        errors: ['not_authenticated'],
      },
      async handler({ user }) {
        const status = await totpStatus(deps.mfa, (await user()).id)
        return {
          body: {
            enabled: status.enabled,
            pending: status.pending,
            backup_codes_remaining: status.backupCodesRemaining,
          },
        }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/mfa/totp/setup/',
      auth: 'required',
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { secret: { type: 'string' }, otpauth_url: { type: 'string' } },
          },
        },
        body: reauthBody,
        summary:
          'Start a TOTP enrolment: a new secret and its otpauth URL (pending until confirmed); may need the password',
        tags: ['mfa'],
        errors: [
          'not_authenticated',
          'permission_denied',
          'reauthentication_required',
          'invalid',
          'throttled',
          'mfa_already_enabled',
        ],
      },
      async handler({ auth, body, user, client, now }) {
        const me = await user()
        // Adding a factor changes how the account signs in: a stolen session must not lock its owner out with an
        // authenticator of its own (ASVS 5.0 §7.5.1), so it needs a recent login or the password.
        if (!auth)
          throw new AuthError('not_authenticated', 'Authentication credentials were not provided.')
        const password = (body as { password?: unknown } | null)?.password
        await requireRecentAuthentication(deps, me, auth.token, password, client, 'mfa_setup')
        const { secret, otpauthUrl } = await setupTotp(deps.mfa, me, { now, ip: client.ip ?? '' })
        return { body: { secret, otpauth_url: otpauthUrl } }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/mfa/totp/confirm/',
      auth: 'required',
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { backup_codes: { type: 'array', items: { type: 'string' } } },
          },
        },
        body: codeBody,
        summary:
          'Confirm the enrolment with a code: TOTP is on; returns ten backup codes, shown once',
        tags: ['mfa'],
        errors: [...codeErrors, 'mfa_not_enabled', 'mfa_already_enabled'],
      },
      async handler({ user, body, client, now }) {
        const { backupCodes } = await confirmTotp(
          deps.mfa,
          await user(),
          (body as { code: string }).code,
          { now, ip: client.ip ?? '' },
        )
        return { body: { backup_codes: backupCodes } }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/mfa/totp/disable/',
      auth: 'required',
      schema: {
        response: { 200: objectResponse },
        body: passwordBody,
        summary: 'Turn TOTP off (password required): removes the secret and every backup code',
        tags: ['mfa'],
        errors: [
          'not_authenticated',
          'permission_denied',
          'invalid',
          'throttled',
          'mfa_not_enabled',
        ],
      },
      async handler({ user, body, client, now }) {
        await disableTotp(deps.mfa, await user(), (body as { password: string }).password, {
          now,
          ip: client.ip ?? '',
        })
        return { body: {} }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/mfa/totp/backup-codes/',
      auth: 'required',
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { backup_codes: { type: 'array', items: { type: 'string' } } },
          },
        },
        body: passwordBody,
        summary: 'Replace the backup codes with ten new ones (password required)',
        tags: ['mfa'],
        errors: [
          'not_authenticated',
          'permission_denied',
          'invalid',
          'throttled',
          'mfa_not_enabled',
        ],
      },
      async handler({ user, body, client, now }) {
        const { backupCodes } = await regenerateBackupCodes(
          deps.mfa,
          await user(),
          (body as { password: string }).password,
          {
            now,
            ip: client.ip ?? '',
          },
        )
        return { body: { backup_codes: backupCodes } }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/login/mfa/',
      guardOrigin: true,
      schema: {
        response: { 200: loginResponse },
        body: codeBody,
        summary:
          'The second login step (cookie flow): a TOTP or backup code with the mfa_token cookie; sets the login cookies',
        tags: ['auth', 'mfa'],
        errors: ['token_not_valid', 'permission_denied', 'invalid', 'throttled', 'mfa_not_enabled'],
      },
      handler({ body, cookie, client }) {
        // A token that cannot finish a login any more goes; a wrong code keeps it, for the next try.
        return withMfaToken(cookie, ['token_not_valid', 'mfa_not_enabled'], async (raw) => {
          const code = (body as { code: string }).code
          const { user, pair } = await finishMfaLogin(login, raw, code, client)
          return {
            cookies: [...loginCookies(settings, pair), serializeClearedMfaCookie(settings)],
            body: loginBody(settings, user, pair),
          }
        })
      },
    },
    {
      method: 'POST',
      path: '/api/token/mfa/',
      schema: {
        response: { 200: pairResponse },
        body: mfaTokenBody,
        summary:
          'The second login step (Bearer flow): the mfa_token from /api/token/ and a code; returns the pair',
        tags: ['token', 'mfa'],
        errors: ['token_not_valid', 'invalid', 'throttled', 'mfa_not_enabled'],
      },
      async handler({ body, client }) {
        const { mfa_token: raw, code } = body as { mfa_token: string; code: string }
        const { pair } = await finishMfaLogin(login, raw, code, client)
        return { body: { refresh: pair.refresh?.token, access: pair.access.token } }
      },
    },
    // The enrolment a login leads to under `mfa.required` (mfa/enrollment.ts): cookie flow, then Bearer flow.
    {
      method: 'POST',
      path: '/api/auth/login/mfa/setup/',
      guardOrigin: true,
      schema: {
        response: { 200: setupResponse },
        body: emptyBody,
        summary:
          "Enrolment a login asked for (mfa_enrollment_required): a TOTP secret for the mfa_token cookie's user",
        tags: ['auth', 'mfa'],
        errors: ['token_not_valid', 'permission_denied', 'invalid', 'mfa_already_enabled'],
      },
      handler({ cookie, client }) {
        return withMfaToken(cookie, ['token_not_valid'], async (raw) => {
          const { secret, otpauthUrl } = await beginEnrollment(login, raw, client)
          return { body: { secret, otpauth_url: otpauthUrl } }
        })
      },
    },
    {
      method: 'POST',
      path: '/api/auth/login/mfa/confirm/',
      guardOrigin: true,
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { ...loginResponse.properties, backup_codes: backupCodesProperty },
          },
        },
        body: codeBody,
        summary:
          'Finish the enrolment with a first code: TOTP is on, the login cookies are set, ten backup codes shown once',
        tags: ['auth', 'mfa'],
        errors: [
          'token_not_valid',
          'permission_denied',
          'invalid',
          'throttled',
          'mfa_not_enabled',
          'mfa_already_enabled',
        ],
      },
      handler({ body, cookie, client }) {
        // A token that cannot finish the enrolment any more goes; a wrong code keeps it, for the next try.
        return withMfaToken(cookie, ['token_not_valid'], async (raw) => {
          const code = (body as { code: string }).code
          const { user, pair, backupCodes } = await finishEnrollment(login, raw, code, client)
          return {
            cookies: [...loginCookies(settings, pair), serializeClearedMfaCookie(settings)],
            body: loginBody(settings, user, pair, { backup_codes: backupCodes }),
          }
        })
      },
    },
    {
      method: 'POST',
      path: '/api/token/mfa/setup/',
      schema: {
        response: { 200: setupResponse },
        body: enrollmentTokenBody,
        summary:
          "Enrolment a login asked for (Bearer flow): a TOTP secret for the mfa_token of /api/token/'s 403",
        tags: ['token', 'mfa'],
        errors: ['token_not_valid', 'invalid', 'mfa_already_enabled'],
      },
      async handler({ body, client }) {
        const raw = (body as { mfa_token: string }).mfa_token
        const { secret, otpauthUrl } = await beginEnrollment(login, raw, client)
        return { body: { secret, otpauth_url: otpauthUrl } }
      },
    },
    {
      method: 'POST',
      path: '/api/token/mfa/confirm/',
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { ...pairResponse.properties, backup_codes: backupCodesProperty },
          },
        },
        body: mfaTokenBody,
        summary:
          'Finish the enrolment (Bearer flow) with a first code: TOTP is on; the pair and ten backup codes',
        tags: ['token', 'mfa'],
        errors: [
          'token_not_valid',
          'invalid',
          'throttled',
          'mfa_not_enabled',
          'mfa_already_enabled',
        ],
      },
      async handler({ body, client }) {
        const { mfa_token: raw, code } = body as { mfa_token: string; code: string }
        const { pair, backupCodes } = await finishEnrollment(login, raw, code, client)
        return {
          body: {
            refresh: pair.refresh?.token,
            access: pair.access.token,
            backup_codes: backupCodes,
          },
        }
      },
    },
  ]
}
