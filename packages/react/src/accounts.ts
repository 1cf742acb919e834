import { useMemo } from 'react'
import type { AuthClient } from './client.js'
import type { User } from './types.js'
import { useAuth } from './use-auth.js'

/** API paths of the account endpoints (dj-rest-auth's), each appended to the client's `baseUrl`. */
export const ACCOUNT_PATHS = {
  register: '/api/auth/register/',
  verifyEmail: '/api/auth/verify-email/',
  resendVerification: '/api/auth/verify-email/resend/',
  passwordReset: '/api/auth/password/reset/',
  passwordResetConfirm: '/api/auth/password/reset/confirm/',
  features: '/api/auth/features/',
} as const

/** What the server offers before sign-in (`GET /api/auth/features/`). */
export interface ServerFeatures {
  /** Sign-up is open: `POST /api/auth/register/` exists. */
  registration: boolean
}

/** What a sign-up asks for. */
export interface RegisterInput {
  username: string
  email: string
  password: string
}

/** A sign-up's outcome: signed in at once (no email verification), or a verification email is on its way. */
export type RegisterResult = { signedIn: true; user: User } | { signedIn: false; detail: string }

/** Sign-up, email verification and password reset; every call rejects with an `ApiError` (field errors on 400). */
export interface AccountsApi {
  /** What the server offers; `registration` is true only when the server says so in as many words. */
  features(): Promise<ServerFeatures>
  register(input: RegisterInput): Promise<RegisterResult>
  /** Spends the key of a verification link. */
  verifyEmail(key: string): Promise<void>
  /** Asks for a new verification link; the same answer for any address. */
  resendVerification(email: string): Promise<void>
  /** Asks for a reset link; the same answer for any address. */
  requestPasswordReset(email: string): Promise<void>
  /** Sets a new password with the `uid` and `token` of a reset link; every session of the user ends. */
  confirmPasswordReset(uid: string, token: string, newPassword: string): Promise<void>
}

/**
 * The account calls over an {@link AuthClient}: its cookies, CSRF header and error mapping. A sign-up that signs
 * the user in tells every tab, as a login does.
 */
export function createAccountsApi(api: AuthClient): AccountsApi {
  const post = <T>(path: string, json: unknown) =>
    api.request<T>(path, { method: 'POST', json, retry: false })
  return {
    async features() {
      const data = await api.request<{ registration?: unknown } | null>(ACCOUNT_PATHS.features, {
        retry: false,
      })
      return { registration: data?.registration === true }
    },
    async register(input) {
      const data = await post<{ user?: User; access_expires?: string; detail?: string }>(
        ACCOUNT_PATHS.register,
        input,
      )
      if (data.user) {
        api.signedIn(data.user, data.access_expires ?? null)
        return { signedIn: true, user: data.user }
      }
      return { signedIn: false, detail: data.detail ?? '' }
    },
    async verifyEmail(key) {
      await post(ACCOUNT_PATHS.verifyEmail, { key })
    },
    async resendVerification(email) {
      await post(ACCOUNT_PATHS.resendVerification, { email })
    },
    async requestPasswordReset(email) {
      await post(ACCOUNT_PATHS.passwordReset, { email })
    },
    async confirmPasswordReset(uid, token, newPassword) {
      await post(ACCOUNT_PATHS.passwordResetConfirm, { uid, token, new_password: newPassword })
    },
  }
}

/** {@link AccountsApi} over the client of the surrounding `<AuthProvider>`. */
export function useAccounts(): AccountsApi {
  const { api } = useAuth()
  return useMemo(() => createAccountsApi(api), [api])
}
