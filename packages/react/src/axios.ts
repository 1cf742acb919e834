import type { AxiosError, AxiosInstance, InternalAxiosRequestConfig } from 'axios'
import { documentCookies, readCookie } from './cookies.js'

/** Options of {@link configureAxios}. */
export interface AxiosAuthOptions {
  /** Refresh path, relative to the instance's `baseURL`. @default '/api/auth/refresh/' */
  refreshPath?: string
  /** 401 codes that trigger one refresh and one retry. @default ['token_not_valid', 'not_authenticated'] */
  refreshOn?: readonly string[]
  /**
   * Refresh function to share with an {@link AuthClient} (single-flight across tabs); by default the
   * instance posts to `refreshPath` itself, single-flight within the page.
   */
  refresh?: () => Promise<boolean>
  /** Source of the cookie string, for the CSRF header. @default () => document.cookie */
  cookies?: () => string
}

type RetriableConfig = InternalAxiosRequestConfig & { _cookiejwtRetry?: boolean }

/**
 * Sets up an axios instance for cookiejwt: `withCredentials`, Django's XSRF cookie/header names with
 * `withXSRFToken` (axios ≥ 1.6; older versions get the header from the request interceptor here), and a
 * response interceptor that refreshes once on a 401 and retries the request. Returns the same instance.
 * @example const api = configureAxios(axios.create({ baseURL: 'http://localhost:8000' }))
 */
export function configureAxios(
  instance: AxiosInstance,
  options: AxiosAuthOptions = {},
): AxiosInstance {
  const refreshPath = options.refreshPath ?? '/api/auth/refresh/'
  const refreshOn = options.refreshOn ?? ['token_not_valid', 'not_authenticated']
  const cookies = options.cookies ?? documentCookies
  Object.assign(instance.defaults, {
    withCredentials: true,
    withXSRFToken: true,
    xsrfCookieName: 'csrftoken',
    xsrfHeaderName: 'X-CSRFToken',
  })

  let inflight: Promise<boolean> | null = null
  const refresh =
    options.refresh ??
    (() =>
      (inflight ??= instance
        .post(refreshPath, null, { _cookiejwtRetry: true } as RetriableConfig)
        .then(
          () => true,
          () => false,
        )
        .finally(() => {
          inflight = null
        })))

  instance.interceptors.request.use((config) => {
    const method = (config.method ?? 'get').toUpperCase()
    if (!/^(GET|HEAD|OPTIONS|TRACE)$/.test(method) && !config.headers.has('X-CSRFToken')) {
      const token = readCookie(cookies(), 'csrftoken')
      if (token) config.headers.set('X-CSRFToken', token)
    }
    return config
  })

  instance.interceptors.response.use(undefined, async (error: AxiosError<{ code?: string }>) => {
    const config = error.config as RetriableConfig | undefined
    const code = error.response?.data?.code
    if (
      !config ||
      config._cookiejwtRetry ||
      error.response?.status !== 401 ||
      !code ||
      !refreshOn.includes(code) ||
      !(await refresh())
    ) {
      throw error
    }
    config._cookiejwtRetry = true
    return instance.request(config)
  })
  return instance
}
