// Test helper (not exported): an in-test `fetch` that speaks the cookiejwt contract for the few endpoints the
// client uses, with a cookie jar the client reads through its `cookies` option.
export interface FakeApi {
  fetch: typeof fetch
  cookies: () => string
  calls: { method: string; path: string; headers: Headers; body: string | null }[]
  state: {
    accessOk: boolean
    refreshOk: boolean
    csrf: string | null
    refreshDelayMs: number
    expiresInMs: number
  }
  count(path: string): number
}

export function createFakeApi(): FakeApi {
  const state = {
    accessOk: true,
    refreshOk: true,
    csrf: null as string | null,
    refreshDelayMs: 0,
    expiresInMs: 300_000,
  }
  const calls: FakeApi['calls'] = []
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', ...headers },
    })
  const user = {
    id: 1,
    username: 'ada',
    email: 'ada@example.com',
    first_name: 'Ada',
    last_name: '',
  }
  const fetchFn = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://api.test')
    const headers = new Headers(init.headers)
    const method = init.method ?? 'GET'
    calls.push({
      method,
      path: url.pathname,
      headers,
      body: (init.body as string | undefined) ?? null,
    })
    if (init.credentials !== 'include') return json(500, { detail: 'credentials must be include' })
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method)
    // '/slow/' suffix: same answer as the path without it (the test delays it).
    switch (url.pathname.replace(/slow\/$/, '')) {
      case '/api/auth/csrf/':
        state.csrf = 'csrf-token-1'
        return json(200, { csrfToken: state.csrf })
      case '/api/auth/login/': {
        const { password } = JSON.parse(String(init.body)) as { password: string }
        if (password !== 'right')
          return json(401, {
            detail: 'No active account found with the given credentials',
            code: 'no_active_account',
          })
        state.accessOk = true
        state.csrf = 'csrf-token-2'
        return json(200, {
          user,
          access_expires: new Date(Date.now() + state.expiresInMs).toISOString(),
        })
      }
      case '/api/auth/refresh/':
        await new Promise((r) => setTimeout(r, state.refreshDelayMs))
        if (!state.refreshOk)
          return json(401, { detail: 'Token is invalid', code: 'token_not_valid' })
        state.accessOk = true
        return json(200, { access_expires: new Date(Date.now() + state.expiresInMs).toISOString() })
      case '/api/auth/logout/':
        state.accessOk = false
        state.refreshOk = false
        return json(200, {})
      case '/api/auth/me/':
        // After a refused refresh or a logout the server has cleared both JWT cookies.
        if (!state.accessOk && !state.refreshOk)
          return json(401, {
            detail: 'Authentication credentials were not provided.',
            code: 'not_authenticated',
          })
        if (!state.accessOk)
          return json(401, {
            detail: 'Given token not valid for any token type',
            code: 'token_not_valid',
          })
        if (unsafe && headers.get('X-CSRFToken') !== state.csrf)
          return json(403, {
            detail: 'CSRF Failed: CSRF token missing.',
            code: 'permission_denied',
          })
        return json(200, unsafe ? { ...user, ...(JSON.parse(String(init.body)) as object) } : user)
      case '/api/throttled/':
        return json(
          429,
          { detail: 'Request was throttled. Expected available in 7 seconds.', code: 'throttled' },
          { 'Retry-After': '7' },
        )
      case '/api/fields/':
        return json(400, { email: ['Enter a valid email address.'] })
      case '/api/down/':
        throw new TypeError('fetch failed')
      default:
        return json(404, { detail: 'Not found.', code: 'not_found' })
    }
  }
  return {
    fetch: fetchFn as typeof fetch,
    cookies: () => (state.csrf ? `theme=dark; csrftoken=${state.csrf}` : 'theme=dark'),
    calls,
    state,
    count: (path) => calls.filter((c) => c.path === path).length,
  }
}
