import { AuthError, verifyToken, type TokenType } from '@cookiejwt/core'
import { blacklistRefreshToken, refreshTokens } from '../../flows.js'
import { beginMfaLogin } from '../../mfa/login.js'
import { MfaEnrollmentRequiredError } from '../../mfa/required.js'
import { mfaLoginDeps } from './mfa.js'
import type { RouteDef, ServiceDeps } from '../types.js'
import {
  credentialsBody,
  objectResponse,
  pairResponse,
  refreshBody,
  verifyBody,
} from './schemas.js'

const TYPES: TokenType[] = ['access', 'refresh', 'sliding']

/** The Bearer flow, simplejwt-compatible, for non-browser clients: tokens in JSON, no cookies. */
export function tokenRoutes(deps: ServiceDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/api/token/',
      schema: {
        response: { 200: pairResponse },
        errors: ['no_active_account', 'invalid', 'throttled', 'mfa_enrollment_required'],
        body: credentialsBody,
        summary:
          'Obtain a token pair (simplejwt TokenObtainPairView), or mfa_required with an mfa_token for /api/token/mfa/, or 403 mfa_enrollment_required with one for /api/token/mfa/setup/',
        tags: ['token'],
      },
      async handler({ body, client }) {
        let step
        try {
          step = await beginMfaLogin(mfaLoginDeps(deps), body.username, body.password, client)
        } catch (error) {
          // The Bearer client gets the enrolment token in the body (the browser gets it as the mfa_token cookie).
          if (error instanceof MfaEnrollmentRequiredError && error.enrollmentToken) {
            return {
              status: 403,
              body: {
                detail: error.message,
                code: error.code,
                mfa_token: error.enrollmentToken.token,
              },
            }
          }
          throw error
        }
        if (step.mfaRequired)
          return { body: { mfa_required: true, mfa_token: step.mfaToken.token } }
        return { body: { refresh: step.pair.refresh?.token, access: step.pair.access.token } }
      },
    },
    {
      method: 'POST',
      path: '/api/token/refresh/',
      schema: {
        response: { 200: pairResponse },
        errors: ['token_not_valid', 'invalid', 'throttled', 'mfa_enrollment_required'],
        body: refreshBody,
        summary: 'Refresh (simplejwt TokenRefreshView)',
        tags: ['token'],
      },
      async handler({ body, client }) {
        const pair = await refreshTokens(deps, body.refresh, client)
        return {
          body: {
            access: pair.access.token,
            ...(pair.refresh ? { refresh: pair.refresh.token } : {}),
          },
        }
      },
    },
    {
      method: 'POST',
      path: '/api/token/verify/',
      schema: {
        response: { 200: objectResponse },
        errors: ['token_not_valid', 'invalid'],
        body: verifyBody,
        summary: 'Verify any token (simplejwt TokenVerifyView)',
        tags: ['token'],
      },
      async handler({ body, now }) {
        // simplejwt's UntypedToken: any type, signature and expiry checked, and a blacklisted jti refused.
        let lastError: unknown
        for (const type of TYPES) {
          try {
            const token = verifyToken(deps.settings, body.token, type, { now })
            if (await deps.tokens.isBlacklisted(token.jti))
              throw new AuthError('token_not_valid', 'Token is blacklisted')
            return { body: {} }
          } catch (error) {
            if (!(error instanceof AuthError) || error.message !== 'Token has wrong type')
              throw error
            lastError = error
          }
        }
        throw lastError
      },
    },
    {
      method: 'POST',
      path: '/api/token/blacklist/',
      schema: {
        response: { 200: objectResponse },
        errors: ['token_not_valid', 'invalid'],
        body: refreshBody,
        summary: 'Blacklist a refresh token (simplejwt TokenBlacklistView)',
        tags: ['token'],
      },
      async handler({ body }) {
        if (!(await blacklistRefreshToken(deps, body.refresh)))
          throw new AuthError('token_not_valid', 'Token is blacklisted')
        return { body: {} }
      },
    },
  ]
}
