import {
  ValidationError,
  generateCsrfSecret,
  serializeAccessCookie,
  serializeCsrfCookie,
  serializeRefreshCookie,
  toPublicUser,
} from '@cookiejwt/core'
import { completeLogin } from '../../flows.js'
import type { RouteDef, ServiceDeps } from '../types.js'
import {
  detailResponse,
  objectResponse,
  PASSWORD_MAX,
  requiredString,
  TOKEN_MAX,
  USERNAME_MAX,
} from './schemas.js'

const emailBody = {
  type: 'object',
  required: ['email'],
  properties: { email: requiredString(254) },
} as const

// dj-rest-auth's RegisterSerializer sends password1/password2; `password` alone is accepted too.
const registerBody = {
  type: 'object',
  required: ['username', 'email'],
  properties: {
    username: requiredString(USERNAME_MAX),
    email: requiredString(254),
    password: requiredString(PASSWORD_MAX),
    password1: requiredString(PASSWORD_MAX),
    password2: requiredString(PASSWORD_MAX),
  },
} as const

const verifyEmailBody = {
  type: 'object',
  required: ['key'],
  properties: { key: requiredString(TOKEN_MAX) },
} as const

// dj-rest-auth's PasswordResetConfirmSerializer sends new_password1/new_password2; `new_password` alone works too.
const resetConfirmBody = {
  type: 'object',
  required: ['uid', 'token'],
  properties: {
    uid: requiredString(64),
    token: requiredString(TOKEN_MAX),
    new_password: requiredString(PASSWORD_MAX),
    new_password1: requiredString(PASSWORD_MAX),
    new_password2: requiredString(PASSWORD_MAX),
  },
} as const

/** The password of a body given either as `<name>` or dj-rest-auth's `<name>1` + `<name>2`. */
function passwordOf(body: Record<string, string | undefined>, name: string): string {
  const single = body[name]
  const first = body[`${name}1`]
  const second = body[`${name}2`]
  if (single !== undefined) return single
  if (first === undefined) throw new ValidationError({ [name]: ['This field is required.'] })
  if (second !== first)
    throw new ValidationError({ non_field_errors: ["The two password fields didn't match."] })
  return first
}

// What a front end needs before anyone signs in; public, so nothing here may be secret.
const featuresResponse = {
  type: 'object',
  required: ['registration'],
  properties: { registration: { type: 'boolean' } },
} as const

/** Sign-up, email verification and password reset (dj-rest-auth's paths), and what of it this server offers. */
export function accountRoutes(deps: ServiceDeps): RouteDef[] {
  const { settings, accounts } = deps
  const routes: RouteDef[] = [
    {
      method: 'GET',
      path: '/api/auth/features/',
      schema: {
        response: { 200: featuresResponse },
        summary: 'What this server offers before sign-in: whether sign-up is open',
        tags: ['accounts'],
        errors: [],
      },
      handler: () => ({ body: { registration: settings.registration } }),
    },
    {
      method: 'POST',
      path: '/api/auth/verify-email/',
      guardOrigin: true,
      schema: {
        response: { 200: detailResponse },
        body: verifyEmailBody,
        summary: 'Verify an email address with the key from the link',
        tags: ['accounts'],
        errors: ['invalid'],
      },
      async handler({ body }) {
        await accounts.verifyEmail((body as { key: string }).key)
        return { body: { detail: 'ok' } }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/verify-email/resend/',
      guardOrigin: true,
      schema: {
        response: { 200: detailResponse },
        body: emailBody,
        summary: 'Send a new verification link (same answer for any address)',
        tags: ['accounts'],
        errors: ['throttled'],
      },
      async handler({ body, client }) {
        await accounts.resendVerification((body as { email: string }).email, client)
        return { body: { detail: 'ok' } }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/password/reset/',
      guardOrigin: true,
      schema: {
        response: { 200: detailResponse },
        body: emailBody,
        summary: 'Email a password reset link (same answer for any address)',
        tags: ['accounts'],
        errors: ['throttled'],
      },
      async handler({ body, client }) {
        await accounts.requestPasswordReset((body as { email: string }).email, client)
        return { body: { detail: 'Password reset e-mail has been sent.' } }
      },
    },
    {
      method: 'POST',
      path: '/api/auth/password/reset/confirm/',
      guardOrigin: true,
      schema: {
        response: { 200: detailResponse },
        body: resetConfirmBody,
        summary: 'Set a new password from a reset link; ends every session',
        tags: ['accounts'],
        errors: ['invalid'],
      },
      async handler({ body }) {
        const b = body as Record<string, string>
        await accounts.confirmPasswordReset(
          b.uid as string,
          b.token as string,
          passwordOf(b, 'new_password'),
        )
        return { body: { detail: 'Password has been reset with the new password.' } }
      },
    },
  ]
  if (settings.registration) {
    routes.push({
      method: 'POST',
      path: '/api/auth/register/',
      guardOrigin: true,
      schema: {
        response: { 201: objectResponse },
        body: registerBody,
        summary: 'Create an account',
        tags: ['accounts'],
        errors: ['invalid', 'throttled', 'mfa_enrollment_required'],
      },
      async handler({ body, client }) {
        const b = body as Record<string, string>
        const result = await accounts.register(
          {
            username: b.username as string,
            email: b.email as string,
            password: passwordOf(b, 'password'),
          },
          client,
        )
        if (result.kind === 'verification_sent')
          return { status: 201, body: { detail: 'Verification e-mail sent.' } }
        // Verification `none`: signed in at once, as a login would.
        const pair = await completeLogin(deps, result.user, client)
        const cookies = [
          serializeAccessCookie(settings, pair.access.token),
          serializeCsrfCookie(settings, generateCsrfSecret()),
        ]
        if (pair.refresh) cookies.push(serializeRefreshCookie(settings, pair.refresh.token))
        return {
          status: 201,
          cookies,
          body: {
            user: toPublicUser(result.user),
            access_expires: pair.access.expiresAt.toISOString(),
            ...(pair.refresh ? { refresh_expires: pair.refresh.expiresAt.toISOString() } : {}),
          },
        }
      },
    })
  }
  return routes
}
