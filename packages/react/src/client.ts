import { documentCookies, readCookie } from './cookies.js'
import { ApiError, MfaRequiredError, toApiError } from './errors.js'
import type { AuthEvent, AuthPaths, User, UserPatch } from './types.js'

/** Default API paths, as in the cookiejwt HTTP contract. */
export const DEFAULT_PATHS: AuthPaths = {
  login: '/api/auth/login/',
  logout: '/api/auth/logout/',
  refresh: '/api/auth/refresh/',
  me: '/api/auth/me/',
  csrf: '/api/auth/csrf/',
  passwordChange: '/api/auth/password/change/',
  loginMfa: '/api/auth/login/mfa/',
}

/** Minimal Web Locks surface the client uses (`navigator.locks`). */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<T> | T,
  ): Promise<T>
}

/** Options of {@link createAuthClient}; every field is optional. */
export interface AuthClientOptions {
  /** Origin (and prefix) of the API, e.g. `http://localhost:8000`. @default '' (same origin) */
  baseUrl?: string
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch
  /** Cookie holding the CSRF token. @default 'csrftoken' */
  csrfCookieName?: string
  /** Header that carries the CSRF token on unsafe methods. @default 'X-CSRFToken' */
  csrfHeaderName?: string
  /** Override some API paths. @default DEFAULT_PATHS */
  paths?: Partial<AuthPaths>
  /**
   * 401 codes that trigger one refresh and one retry. `not_authenticated` is included because the browser
   * drops an expired access cookie (its Max-Age equals the token lifetime) before the server can see it.
   * @default ['token_not_valid', 'not_authenticated']
   */
  refreshOn?: readonly string[]
  /** Refresh this many seconds before `access_expires`; `false` turns silent refresh off. @default 30 */
  silentRefresh?: number | false
  /** Name of the Web Lock and BroadcastChannel shared by tabs; `false` keeps every tab on its own. @default 'cookiejwt' */
  crossTab?: string | false
  /** Source of the cookie string. @default () => document.cookie */
  cookies?: () => string
  /** Lock manager for cross-tab single-flight refresh. @default navigator.locks when present */
  locks?: LockManagerLike | null
}

/** Options of one {@link AuthClient.request} call. */
export interface RequestOptions extends Omit<RequestInit, 'body'> {
  /** Sent as a JSON body with `Content-Type: application/json`. */
  json?: unknown
  body?: BodyInit | null
  /** Refresh once and retry on a 401. @default true */
  retry?: boolean
}

/** The fetch-based API client; see {@link createAuthClient}. */
export interface AuthClient {
  /** Sends a request to `baseUrl + path` with cookies, CSRF and refresh-on-401; resolves to the JSON body. */
  request<T = unknown>(path: string, options?: RequestOptions): Promise<T>
  /**
   * Logs in; resolves to the user. Rejects with an {@link ApiError} (`no_active_account`, `throttled`, ...), or with
   * a {@link MfaRequiredError} when the account has TOTP on: then finish with {@link AuthClient.loginMfa}.
   */
  login(username: string, password: string): Promise<User>
  /** The second login step: a TOTP code or a backup code; resolves to the user as `login` does. */
  loginMfa(code: string): Promise<User>
  /** Logs out this tab and every other tab of the app once the server confirmed it. */
  logout(): Promise<void>
  /** Refreshes the access token once for all concurrent callers and tabs; resolves to whether it worked. */
  refresh(): Promise<boolean>
  /** `GET` the current user. */
  me(): Promise<User>
  /** `PATCH` the current user's email and names. */
  updateMe(patch: UserPatch): Promise<User>
  /** Changes the password. */
  changePassword(oldPassword: string, newPassword: string): Promise<void>
  /** Returns a CSRF token, fetching one from the API when there is no cookie yet. */
  csrfToken(): Promise<string | null>
  /** Tells this and every other tab that the server signed `user` in outside {@link login} (a sign-up that logs in). */
  signedIn(user: User, accessExpires?: string | null): void
  /** Calls `listener` on every {@link AuthEvent}, from this or another tab; returns the unsubscribe function. */
  subscribe(listener: (event: AuthEvent) => void): () => void
  /** Stops timers and closes the BroadcastChannel. */
  close(): void
}

const NETWORK_MESSAGE = 'Could not reach the server. Check your connection and try again.'

/**
 * Creates the client: `credentials: 'include'`, `X-CSRFToken` on unsafe methods, one refresh and one retry
 * on a 401, single-flight refresh within the tab and across tabs (Web Locks), logout/login/refresh events
 * shared by tabs (BroadcastChannel) and an optional silent refresh shortly before the access token expires.
 * @example const api = createAuthClient({ baseUrl: 'http://localhost:8000' })
 */
export function createAuthClient(options: AuthClientOptions = {}): AuthClient {
  const base = options.baseUrl?.replace(/\/$/, '') ?? ''
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const paths = { ...DEFAULT_PATHS, ...options.paths }
  const cookieName = options.csrfCookieName ?? 'csrftoken'
  const headerName = options.csrfHeaderName ?? 'X-CSRFToken'
  const refreshOn = options.refreshOn ?? ['token_not_valid', 'not_authenticated']
  const leeway = options.silentRefresh ?? 30
  const shared = options.crossTab ?? 'cookiejwt'
  const cookies = options.cookies ?? documentCookies
  const locks =
    options.locks !== undefined
      ? options.locks
      : ((globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks ?? null)
  const channel =
    shared !== false && typeof BroadcastChannel !== 'undefined'
      ? new BroadcastChannel(shared)
      : null
  const listeners = new Set<(event: AuthEvent) => void>()

  // generation counts successful refreshes and logins seen by this tab (its own or broadcast): a request
  // that failed under an older generation is simply retried, since the browser already holds new cookies.
  let generation = 0
  let anonymous = false
  let inflight: Promise<boolean> | null = null
  let memoryToken: string | null = null
  let timer: ReturnType<typeof setTimeout> | undefined

  const emit = (event: AuthEvent, broadcast: boolean): void => {
    // Login rotates the CSRF cookie: a token kept in memory (cross-site set-ups) is stale from then on.
    if (event.type === 'login' || event.type === 'logout') memoryToken = null
    if (event.type === 'logout') {
      anonymous = true
      clearTimeout(timer)
    } else {
      anonymous = false
      if (event.type !== 'user') generation++
      if ('accessExpires' in event) schedule(event.accessExpires)
    }
    if (broadcast) channel?.postMessage(event)
    for (const listener of listeners) listener(event)
  }
  if (channel) channel.onmessage = (message) => emit(message.data as AuthEvent, false)

  const schedule = (expires: string | null | undefined): void => {
    clearTimeout(timer)
    const left = expires ? Date.parse(expires) - Date.now() : NaN
    if (leeway === false || !(left > 0)) return
    const seen = generation
    timer = setTimeout(() => void refreshFrom(seen), Math.max(left - leeway * 1000, left / 2))
  }

  const readToken = (): string | null => readCookie(cookies(), cookieName) ?? memoryToken

  const csrfToken = async (): Promise<string | null> => {
    const token = readToken()
    if (token) return token
    const data = await send<{ csrfToken?: string }>(paths.csrf, {})
    // Cross-site deployments cannot read the API's cookie: keep the token from the body in memory.
    memoryToken = data.csrfToken ?? null
    return readToken()
  }

  const send = async <T>(path: string, init: RequestOptions, csrf?: boolean): Promise<T> => {
    const method = (init.method ?? 'GET').toUpperCase()
    const headers = new Headers(init.headers)
    headers.set('Accept', 'application/json')
    let body = init.body
    if (init.json !== undefined) {
      headers.set('Content-Type', 'application/json')
      body = JSON.stringify(init.json)
    }
    if (!/^(GET|HEAD|OPTIONS|TRACE)$/.test(method)) {
      // Login, refresh and logout are guarded by the Origin check: send a token when there is one, never fetch.
      const token = csrf === false ? readToken() : await csrfToken()
      if (token) headers.set(headerName, token)
    }
    let res: Response
    let data: unknown = null
    try {
      res = await doFetch(base + path, { ...init, method, headers, body, credentials: 'include' })
      const text = await res.text()
      if (text) {
        try {
          data = JSON.parse(text)
        } catch {
          data = text
        }
      }
    } catch (cause) {
      throw new ApiError(0, NETWORK_MESSAGE, 'network_error', {}, null, { cause })
    }
    if (!res.ok) throw toApiError(res.status, data, res.headers.get('Retry-After'))
    return data as T
  }

  const withLock = (fn: () => Promise<boolean>): Promise<boolean> =>
    locks && shared !== false
      ? locks.request(shared, { ifAvailable: true }, (lock) =>
          // Another tab holds the lock and is refreshing: wait for it, then reuse the cookies it got.
          lock ? fn() : locks.request(shared, {}, () => true),
        )
      : fn()

  const refreshFrom = (seen: number): Promise<boolean> =>
    (inflight ??= withLock(async () => {
      if (seen !== generation) return true
      try {
        const data = await send<{ access_expires?: string } | null>(
          paths.refresh,
          { method: 'POST', retry: false },
          false,
        )
        emit({ type: 'refresh', accessExpires: data?.access_expires ?? null }, true)
        return true
      } catch (error) {
        // A refresh refused as the end of the session: 401, or 403 for an account that must enrol TOTP first (the
        // server cleared the cookies; the next login leads to the enrolment).
        const e = error as ApiError
        if (e.status === 401 || e.code === 'mfa_enrollment_required')
          emit({ type: 'logout', reason: 'expired' }, true)
        return false
      }
    }).finally(() => {
      inflight = null
    }))

  const request = async <T>(path: string, init: RequestOptions = {}): Promise<T> => {
    const seen = generation
    try {
      return await send<T>(path, init)
    } catch (error) {
      const e = error as ApiError
      if (
        init.retry === false ||
        e.status !== 401 ||
        !refreshOn.includes(e.code) ||
        (anonymous && seen === generation && e.code === 'not_authenticated') ||
        !(await refreshFrom(seen))
      ) {
        throw e
      }
      return send<T>(path, init)
    }
  }

  const signIn = async (path: string, json: unknown): Promise<User> => {
    const data = await send<{ user: User; access_expires?: string; mfa_required?: boolean }>(
      path,
      { method: 'POST', json, retry: false },
      false,
    )
    // The password was right but the account has a second factor: no session yet, only the mfa cookie.
    if (data.mfa_required) throw new MfaRequiredError()
    emit({ type: 'login', user: data.user, accessExpires: data.access_expires ?? null }, true)
    return data.user
  }

  return {
    request,
    csrfToken,
    refresh: () => refreshFrom(generation),
    login: (username, password) => signIn(paths.login, { username, password }),
    loginMfa: (code) => signIn(paths.loginMfa, { code }),
    async logout() {
      // Only a logout the server confirmed ends the session here: after a network error the cookies are
      // still valid, so the tabs stay signed in and the caller shows the error.
      await send(paths.logout, { method: 'POST', retry: false }, false)
      emit({ type: 'logout', reason: 'logout' }, true)
    },
    signedIn(user, accessExpires = null) {
      emit({ type: 'login', user, accessExpires }, true)
    },
    me: () => request<User>(paths.me),
    async updateMe(patch) {
      const user = await request<User>(paths.me, { method: 'PATCH', json: patch })
      emit({ type: 'user', user }, true)
      return user
    },
    async changePassword(oldPassword, newPassword) {
      await request(paths.passwordChange, {
        method: 'POST',
        json: { old_password: oldPassword, new_password: newPassword },
      })
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close() {
      clearTimeout(timer)
      channel?.close()
    },
  }
}
