import { createContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import { createAuthClient, type AuthClient } from './client.js'
import type { ApiError } from './errors.js'
import type { User } from './types.js'

/** `loading` until the first `GET /api/auth/me/` answers, then `authenticated` or `anonymous`. */
export type AuthStatus = 'loading' | 'authenticated' | 'anonymous'

/** What {@link useAuth} returns. */
export interface AuthContextValue {
  /** The logged-in user, or null. */
  user: User | null
  status: AuthStatus
  /** Why the session check on load failed when it was not a plain 401 (e.g. a network error); else null. */
  error: ApiError | null
  /** Rejects with `MfaRequiredError` when the account has TOTP on: then call `loginMfa(code)`. */
  login: (username: string, password: string) => Promise<User>
  /** The second login step: a TOTP or backup code. */
  loginMfa: (code: string) => Promise<User>
  logout: () => Promise<void>
  refresh: () => Promise<boolean>
  /** The API client, for the app's own requests (`api.request('/api/things/')`). */
  api: AuthClient
}

/** The React context behind {@link useAuth}; null outside an {@link AuthProvider}. */
export const AuthContext = createContext<AuthContextValue | null>(null)

/** Props of {@link AuthProvider}: a client, or options to create one. */
export interface AuthProviderProps {
  client?: AuthClient
  /** API origin when no `client` is given. @default '' (same origin) */
  baseUrl?: string
  children?: ReactNode
}

/**
 * Loads the current user once, keeps `user`/`status` in step with login, logout and refresh events of this
 * and every other tab, and gives children {@link useAuth}.
 */
export function AuthProvider({ client, baseUrl, children }: AuthProviderProps) {
  const api = useMemo(() => client ?? createAuthClient({ baseUrl }), [client, baseUrl])
  const [user, setUser] = useState<User | null>(null)
  const [status, setStatus] = useState<AuthStatus>('loading')
  const [error, setError] = useState<ApiError | null>(null)

  useEffect(() => {
    let live = true
    const unsubscribe = api.subscribe((event) => {
      if (!live) return
      if (event.type === 'logout') {
        setUser(null)
        setStatus('anonymous')
      } else if (event.type === 'login' || event.type === 'user') {
        setUser(event.user)
        setStatus('authenticated')
        setError(null)
      }
    })
    api.me().then(
      (me) => {
        if (!live) return
        setUser(me)
        setStatus('authenticated')
      },
      (e: ApiError) => {
        if (!live) return
        setStatus((current) => (current === 'loading' ? 'anonymous' : current))
        if (e.status !== 401) setError(e)
      },
    )
    return () => {
      live = false
      unsubscribe()
    }
  }, [api])

  useEffect(
    () => () => {
      if (!client) api.close()
    },
    [api, client],
  )

  const value = useMemo<AuthContextValue>(
    () => ({
      user,
      status,
      error,
      login: (username, password) => api.login(username, password),
      loginMfa: (code) => api.loginMfa(code),
      logout: () => api.logout(),
      refresh: () => api.refresh(),
      api,
    }),
    [api, user, status, error],
  )
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>
}
