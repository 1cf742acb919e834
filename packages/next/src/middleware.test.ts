import { createHmac } from 'node:crypto'
import { NextRequest } from 'next/server.js'
import { describe, expect, it } from 'vitest'
import { cookiejwtMiddleware, isValidAccessToken } from './middleware.js'

const KEY = 'Pt0t5s9GaC9iN9fv6J8HmZRG5yUpcIHAbuOao4KDSAueJtwj9mHrUF8f34RBeix8'
const key = new TextEncoder().encode(KEY)
const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)
function sign(
  payload: Record<string, unknown>,
  secret = KEY,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
) {
  const input = `${b64u(header)}.${b64u(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}
const access = (extra: Record<string, unknown> = {}) =>
  sign({ token_type: 'access', exp: now() + 300, iat: now(), jti: 'j', user_id: 1, ...extra })

describe('isValidAccessToken', () => {
  it('accepts a signed, unexpired access token', async () => {
    expect(await isValidAccessToken(access(), [key])).toBe(true)
  })

  it.each([
    ['expired', () => access({ exp: now() - 1 })],
    ['without exp', () => sign({ token_type: 'access', iat: now(), jti: 'j', user_id: 1 })],
    ['a float exp', () => access({ exp: now() + 60.5 })],
    ['a refresh token', () => access({ token_type: 'refresh' })],
    [
      'another key',
      () => sign({ token_type: 'access', exp: now() + 60, user_id: 1 }, 'k'.repeat(64)),
    ],
    [
      'alg none',
      () => `${b64u({ alg: 'none' })}.${b64u({ token_type: 'access', exp: now() + 60 })}.`,
    ],
    ['HS512', () => sign({ token_type: 'access', exp: now() + 60 }, KEY, { alg: 'HS512' })],
    ['garbage', () => 'not.a.token'],
  ])('refuses %s', async (_label, make) => {
    expect(await isValidAccessToken(make(), [key])).toBe(false)
  })

  it('tries every key (rotation) and refuses everything without a key', async () => {
    expect(
      await isValidAccessToken(access(), [new TextEncoder().encode('x'.repeat(64)), key]),
    ).toBe(true)
    expect(await isValidAccessToken(access(), [])).toBe(false)
  })
})

describe('cookiejwtMiddleware', () => {
  const middleware = cookiejwtMiddleware({ keys: [KEY], loginPath: '/signin' })
  const request = (cookie?: string) =>
    new NextRequest(
      'http://app.example/account/orders?page=2',
      cookie ? { headers: { cookie } } : {},
    )

  it('lets a valid access cookie through', async () => {
    const res = await middleware(request(`access_token=${access()}`))
    expect(res.headers.get('x-middleware-next')).toBe('1')
  })

  it('redirects a missing or bad cookie to the login path with the requested path', async () => {
    for (const cookie of [
      undefined,
      'access_token=garbage',
      `access_token=${access({ exp: now() - 5 })}`,
    ]) {
      const res = await middleware(request(cookie))
      expect(res.status).toBe(307)
      expect(res.headers.get('location')).toBe(
        'http://app.example/signin?next=%2Faccount%2Forders%3Fpage%3D2',
      )
    }
  })

  it('reads the cookie name it is given', async () => {
    const named = cookiejwtMiddleware({ keys: [KEY], cookieName: 'jwt' })
    expect((await named(request(`access_token=${access()}`))).status).toBe(307)
    expect((await named(request(`jwt=${access()}`))).headers.get('x-middleware-next')).toBe('1')
  })
})
