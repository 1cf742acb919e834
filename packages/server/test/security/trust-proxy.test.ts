/**
 * `trustProxy` over real HTTP: the client IP (throttling, the sessions list), the scheme (Secure cookies) and the host
 * (the Origin check of login and of cookie-authenticated writes) all follow one rule: with `n` proxies, each
 * `X-Forwarded-*` header's `n`-th entry from the right. The socket address is a loopback address playing the proxy.
 */
import { ImproperlyConfigured } from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/cli/config.js'
import { TEST_KEY, type Res } from '../helpers.js'
import { PASSWORD, sendFrom, startSessionServer, type SessionServer } from '../sessions/server.js'

const throttle = { failuresPerUsernameIp: 100, failuresPerUsername: 100, failuresPerIp: 5, window: '15m' }
const servers: Record<string, SessionServer> = {}
let next = 1
/** A forged address the client writes on the left; a new one every call, as an attacker would. */
const forgedIp = () => `198.51.100.${next++}`

beforeAll(async () => {
  for (const [name, trustProxy] of [['one', 1], ['two', 2], ['every', true], ['none', false]] as const) {
    servers[name] = await startSessionServer({ trustProxy, throttle })
    await servers[name].createUser('ada')
  }
})
afterAll(async () => {
  for (const server of Object.values(servers)) await server.close()
})

const login = (server: SessionServer, headers: Record<string, string>, password = 'wrong-password', proxy = '127.0.7.1') =>
  sendFrom(proxy, server.url, 'POST', '/api/auth/login/', { json: { username: 'ada', password }, headers })

/** Wrong passwords until the first 429; returns how many were checked (401). */
async function failuresUntilThrottled(send: () => Promise<Res>): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const res = await send()
    if (res.status === 429) return i
    expect(res.status).toBe(401)
  }
  return Infinity
}

async function sessionIp(server: SessionServer, res: Res): Promise<string> {
  const access = res.cookie('access_token')!.value
  const list = await sendFrom('127.0.7.1', server.url, 'GET', '/api/auth/sessions/', { headers: { cookie: `access_token=${access}` } })
  expect(list.status).toBe(200)
  return (list.json as { ip: string; current: boolean }[]).find((s) => s.current)!.ip
}

describe('trustProxy: 1 (one proxy that appends to X-Forwarded-For)', () => {
  it('counts a client under the address the proxy saw, however it varies the entries it forges', async () => {
    const client = '203.0.113.10'
    const checked = await failuresUntilThrottled(() => login(servers.one!, { 'x-forwarded-for': `${forgedIp()}, ${forgedIp()}, ${client}` }))
    expect(checked).toBe(5)
    // The right password from that client is refused too; another client behind the same proxy is not.
    expect((await login(servers.one!, { 'x-forwarded-for': `${forgedIp()}, ${client}` }, PASSWORD)).status).toBe(429)
    const other = await login(servers.one!, { 'x-forwarded-for': `${client}, 203.0.113.11` }, PASSWORD)
    expect(other.status).toBe(200)
    // The sessions list records the same address the throttle counted.
    expect(await sessionIp(servers.one!, other)).toBe('203.0.113.11')
  })

  it('takes the scheme from the proxy: Secure cookies only when the proxy saw https', async () => {
    const https = await login(servers.one!, { 'x-forwarded-for': '203.0.113.12', 'x-forwarded-proto': 'http, https' }, PASSWORD)
    expect(https.status).toBe(200)
    expect(https.cookie('access_token')!.attributes.secure).toBe(true)
    const spoofed = await login(servers.one!, { 'x-forwarded-for': '203.0.113.12', 'x-forwarded-proto': 'https, http' }, PASSWORD)
    expect(spoofed.status).toBe(200)
    expect(spoofed.cookie('access_token')!.attributes.secure).toBeUndefined()
  })

  it("checks Origin against the proxy's host and scheme, on login and on cookie-authenticated writes", async () => {
    const proxied = { 'x-forwarded-for': '203.0.113.13', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example, api.example.com' }
    const refused = await login(servers.one!, { ...proxied, origin: 'https://evil.example' }, PASSWORD)
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual({
      detail: 'CSRF Failed: Origin checking failed - the request origin does not match any trusted origins.',
      code: 'permission_denied',
    })
    const ok = await login(servers.one!, { ...proxied, origin: 'https://api.example.com' }, PASSWORD)
    expect(ok.status).toBe(200)
    const csrf = ok.cookie('csrftoken')!.value
    const cookie = `access_token=${ok.cookie('access_token')!.value}; refresh_token=${ok.cookie('refresh_token')!.value}; csrftoken=${csrf}`
    const write = (origin: string) =>
      sendFrom('127.0.7.1', servers.one!.url, 'POST', '/api/auth/sessions/revoke-others/', {
        headers: { ...proxied, origin, cookie, 'x-csrftoken': csrf },
      })
    const refusedWrite = await write('https://evil.example')
    expect(refusedWrite.status).toBe(403)
    expect(refusedWrite.json).toEqual(refused.json)
    expect((await write('https://api.example.com')).status).toBe(200)
  })
})

describe('trustProxy: 2 (a CDN and a load balancer)', () => {
  it('counts the address the outer proxy saw and ignores everything the client wrote', async () => {
    const client = '203.0.113.20'
    const cdn = '192.0.2.50'
    const checked = await failuresUntilThrottled(() => login(servers.two!, { 'x-forwarded-for': `${forgedIp()}, ${client}, ${cdn}` }))
    expect(checked).toBe(5)
    const other = await login(servers.two!, { 'x-forwarded-for': `${client}, 203.0.113.21, ${cdn}` }, PASSWORD)
    expect(other.status).toBe(200)
    expect(await sessionIp(servers.two!, other)).toBe('203.0.113.21')
  })

  it('takes the left-most entry when a request passed fewer proxies than trusted', async () => {
    const res = await login(servers.two!, { 'x-forwarded-for': '203.0.113.22' }, PASSWORD)
    expect(await sessionIp(servers.two!, res)).toBe('203.0.113.22')
  })
})

describe('trustProxy: true (every hop: the compatibility meaning)', () => {
  it('believes the left-most entry, so behind an appending proxy a client chooses its own address', async () => {
    const client = '203.0.113.30'
    // Documented: safe only behind a proxy that overwrites X-Forwarded-For.
    const checked = await failuresUntilThrottled(() => login(servers.every!, { 'x-forwarded-for': `${forgedIp()}, ${client}` }))
    expect(checked).toBe(Infinity)
    const res = await login(servers.every!, { 'x-forwarded-for': '203.0.113.31, 192.0.2.50' }, PASSWORD)
    expect(await sessionIp(servers.every!, res)).toBe('203.0.113.31')
  })
})

describe('trustProxy: false (the default)', () => {
  it('counts the socket address and reads none of the forwarded headers', async () => {
    const proxy = '127.0.7.40'
    const checked = await failuresUntilThrottled(() =>
      login(servers.none!, { 'x-forwarded-for': forgedIp(), 'x-forwarded-proto': 'https' }, 'wrong-password', proxy),
    )
    expect(checked).toBe(5)
    const res = await login(servers.none!, { 'x-forwarded-for': '203.0.113.41', 'x-forwarded-proto': 'https' }, PASSWORD, '127.0.7.41')
    expect(res.cookie('access_token')!.attributes.secure).toBeUndefined()
    expect(await sessionIp(servers.none!, res)).toBe('127.0.7.41')
  })
})

describe('COOKIEJWT_TRUST_PROXY', () => {
  const load = (value: string | undefined, settings?: object) =>
    loadConfig({
      COOKIEJWT_SIGNING_KEY: TEST_KEY,
      ...(value !== undefined ? { COOKIEJWT_TRUST_PROXY: value } : {}),
      ...(settings ? { COOKIEJWT_SETTINGS: JSON.stringify(settings) } : {}),
    })

  it('reads true, false and a number of proxies; unset or empty leaves the settings to decide', () => {
    expect([load(undefined), load(''), load('false'), load('0')].map((c) => c.settings.trustProxy)).toEqual([false, false, false, false])
    expect([load('true'), load('TRUE'), load('1'), load('2')].map((c) => c.settings.trustProxy)).toEqual([true, true, 1, 2])
    expect(load('2').trustProxy).toBe(2)
    expect(load(undefined, { trustProxy: 3 }).settings.trustProxy).toBe(3)
    // The variable wins over COOKIEJWT_SETTINGS, in both directions.
    expect(load('false', { trustProxy: 3 }).settings.trustProxy).toBe(false)
    expect(load('1', { trustProxy: true }).settings.trustProxy).toBe(1)
  })

  it('refuses anything else with an ImproperlyConfigured naming the variable and the value', () => {
    for (const bad of ['yes', 'on', '-1', '1.5', '2 proxies', '0x2', '1e3', '10.0.0.0/8', '9999999']) {
      expect(() => load(bad)).toThrow(
        new ImproperlyConfigured(
          `COOKIEJWT_TRUST_PROXY must be true, false or the number of proxies in front of the server (1, 2, …), got ${JSON.stringify(bad)}`,
        ),
      )
    }
    expect(() => load('on')).toThrow(ImproperlyConfigured)
    expect(() => load(undefined, { trustProxy: 'yes' })).toThrow(
      '"trustProxy" must be true, false or the number of proxies in front of the server (got "yes")',
    )
  })
})
