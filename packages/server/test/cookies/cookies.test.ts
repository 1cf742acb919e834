import { afterAll, describe, expect, it } from 'vitest'
import { call, cookieValue, HMAC_KEY, login, PASSWORD, startServer, type Running } from '../keys/harness.js'

const servers: Running[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})
const start = async (...args: Parameters<typeof startServer>) => {
  const s = await startServer(...args)
  servers.push(s)
  return s
}
const LOGIN = { body: { username: 'ada', password: PASSWORD } }

describe('Secure behind a trusted proxy', () => {
  it('marks every cookie Secure when X-Forwarded-Proto is https and trustProxy is on', async () => {
    const s = await start({ signingKey: HMAC_KEY, trustProxy: true }, { user: 'ada' })
    const res = await call(s.url, 'POST', '/api/auth/login/', { ...LOGIN, headers: { 'x-forwarded-proto': 'https' } })
    expect(res.status).toBe(200)
    expect(res.setCookies).toHaveLength(3)
    for (const c of res.setCookies) expect(c).toMatch(/; Secure(;|$)/)
    const plain = await call(s.url, 'POST', '/api/auth/login/', LOGIN)
    for (const c of plain.setCookies) expect(c).not.toMatch(/Secure/)
  })

  it('ignores X-Forwarded-Proto when the proxy is not trusted', async () => {
    const s = await start({ signingKey: HMAC_KEY }, { user: 'ada' })
    const res = await call(s.url, 'POST', '/api/auth/login/', { ...LOGIN, headers: { 'x-forwarded-proto': 'https' } })
    expect(res.status).toBe(200)
    for (const c of res.setCookies) expect(c).not.toMatch(/Secure/)
  })
})

describe('self-healing cookies', () => {
  it('logout without any token clears both JWT cookies with the attributes they were set with', async () => {
    const s = await start({ signingKey: HMAC_KEY, authCookie: { domain: 'localhost' }, refreshCookie: { sameSite: 'Strict' } })
    const res = await call(s.url, 'POST', '/api/auth/logout/', { cookies: { access_token: 'garbage', refresh_token: 'x.y.z' } })
    expect(res.status).toBe(200)
    expect(res.setCookies).toEqual([
      'access_token=; Max-Age=0; Domain=localhost; Path=/; HttpOnly; SameSite=Lax',
      'refresh_token=; Max-Age=0; Path=/api/auth/; HttpOnly; SameSite=Strict',
    ])
  })

  it('clears cookies left by an older Path/Domain on login, refresh and logout, but not on other responses', async () => {
    const legacyCookies = [
      { name: 'refresh_token', path: '/api/', domain: null },
      { name: 'access_token', path: '/', domain: 'localhost' },
    ]
    const s = await start({ signingKey: HMAC_KEY, legacyCookies }, { user: 'ada' })
    const clears = ['refresh_token=; Max-Age=0; Path=/api/; HttpOnly', 'access_token=; Max-Age=0; Domain=localhost; Path=/; HttpOnly']
    const signIn = await call(s.url, 'POST', '/api/auth/login/', LOGIN)
    expect(signIn.setCookies.slice(-2)).toEqual(clears)
    const cookies = { access_token: cookieValue(signIn.setCookies, 'access_token')!, refresh_token: cookieValue(signIn.setCookies, 'refresh_token')! }
    // The browser sends both refresh cookies (old Path=/api/ and new Path=/api/auth/): the request still works.
    const refresh = await call(s.url, 'POST', '/api/auth/refresh/', {
      headers: { cookie: `refresh_token=${cookies.refresh_token}; refresh_token=stale.old.token` },
    })
    expect(refresh.status).toBe(200)
    expect(refresh.setCookies.slice(-2)).toEqual(clears)
    const logout = await call(s.url, 'POST', '/api/auth/logout/', {})
    expect(logout.setCookies.slice(-2)).toEqual(clears)
    const csrf = await call(s.url, 'GET', '/api/auth/csrf/')
    expect(csrf.setCookies.join('\n')).not.toContain('Path=/api/;')
  })
})

describe('__Host- prefix end to end', () => {
  it('sets __Host- cookies that authenticate, with Path=/ for the refresh cookie', async () => {
    const s = await start({ signingKey: HMAC_KEY, cookiePrefix: '__Host-' }, { user: 'ada' })
    const res = await call(s.url, 'POST', '/api/auth/login/', LOGIN)
    expect(res.setCookies[0]).toMatch(/^__Host-access_token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
    expect(res.setCookies[1]).toMatch(/^__Host-refresh_token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=86400; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
    const cookies = await login(s.url, 'ada', s.settings)
    expect((await call(s.url, 'GET', '/api/auth/me/', { cookies })).status).toBe(200)
    // The unprefixed name is not accepted in its place.
    const plain = await call(s.url, 'GET', '/api/auth/me/', { cookies: { access_token: cookies['__Host-access_token']! } })
    expect(plain.status).toBe(401)
  })
})

describe('CORS and CSRF origin patterns on the wire', () => {
  it('allows exactly one subdomain label and nothing that merely ends or starts like it', async () => {
    const s = await start({ signingKey: HMAC_KEY, cors: { allowedOrigins: ['https://*.example.com'] } }, { user: 'ada' })
    const ok = await call(s.url, 'GET', '/api/auth/csrf/', { headers: { origin: 'https://app.example.com' } })
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true')
    for (const origin of ['https://example.com.evil.net', 'https://evilexample.com', 'https://a.b.example.com', 'https://example.com', 'null']) {
      const res = await call(s.url, 'GET', '/api/auth/csrf/', { headers: { origin } })
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull()
      const post = await call(s.url, 'POST', '/api/auth/login/', { ...LOGIN, headers: { origin } })
      expect(post.status, origin).toBe(403)
      expect(post.setCookies.filter((c) => c.startsWith('access_token='))).toEqual([])
    }
    const trusted = await call(s.url, 'POST', '/api/auth/login/', { ...LOGIN, headers: { origin: 'https://app.example.com' } })
    expect(trusted.status).toBe(200)
  })
})
