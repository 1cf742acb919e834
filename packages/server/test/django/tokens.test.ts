/**
 * Tokens both ways between cookiejwt and the real djangorestframework-simplejwt (Debian's 5.2):
 * same key, algorithm, audience, issuer and leeway on both sides.
 */
import {
  AuthError,
  defineSettings,
  issueToken,
  issueTokenPair,
  verifyAccessToken,
  verifyRefreshToken,
  verifyToken,
  type AuthSettings,
} from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createDjangoProject, type DjangoProject, type DjangoServer } from './django-project.js'

const KEY = 'interop-signing-key-0123456789abcdef-0123456789'
const AUDIENCE = 'cookiejwt-interop'
const ISSUER = 'https://auth.example.test'
const LEEWAY = 30

type Minted = { access: string; refresh: string; sliding: string }
type Verified = { ok: boolean; payload?: Record<string, unknown>; error?: string }

function cookiejwtSettings(overrides: Record<string, unknown> = {}): AuthSettings {
  return defineSettings({ signingKey: KEY, audience: AUDIENCE, issuer: ISSUER, leeway: LEEWAY, ...overrides })
}

function expectInvalid(fn: () => unknown): void {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe('token_not_valid')
    return
  }
  throw new Error('expected token_not_valid')
}

describe('simplejwt ⇄ cookiejwt tokens', { timeout: 60_000 }, () => {
  let django: DjangoProject
  let server: DjangoServer
  let aliceId: number
  const settings = cookiejwtSettings()

  beforeAll(async () => {
    django = await createDjangoProject({
      simpleJwt: {
        SIGNING_KEY: KEY,
        ALGORITHM: 'HS256',
        AUDIENCE,
        ISSUER,
        LEEWAY,
        ACCESS_TOKEN_LIFETIME: 300,
        REFRESH_TOKEN_LIFETIME: 86400,
        SLIDING_TOKEN_LIFETIME: 300,
        SLIDING_TOKEN_REFRESH_LIFETIME: 86400,
      },
    })
    await django.manage(['migrate', '-v', '0'])
    aliceId = (await django.tool<{ id: number }>({ op: 'create_user', username: 'alice', password: 'pw' })).id
    server = await django.startServer()
  }, 120_000)

  afterAll(async () => {
    await django?.cleanup()
  })

  it('accepts access, refresh and sliding tokens minted by simplejwt', async () => {
    const minted = await django.tool<Minted>({ op: 'mint', username: 'alice' })
    const access = verifyAccessToken(settings, minted.access)
    expect(access.userId).toBe(aliceId)
    expect(access.jti).toMatch(/^[0-9a-f]{32}$/)
    expect(access.payload).toMatchObject({ token_type: 'access', aud: AUDIENCE, iss: ISSUER })
    expect(access.exp - access.iat).toBe(300)
    const refresh = verifyRefreshToken(settings, minted.refresh)
    expect(refresh.userId).toBe(aliceId)
    expect(refresh.exp - refresh.iat).toBe(86400)
    const sliding = verifyToken(settings, minted.sliding, 'sliding')
    expect(sliding.userId).toBe(aliceId)
    expect(sliding.payload.refresh_exp).toBe(sliding.iat + 86400)
    // Each type only where it belongs.
    expectInvalid(() => verifyRefreshToken(settings, minted.access))
    expectInvalid(() => verifyAccessToken(settings, minted.refresh))
    expectInvalid(() => verifyAccessToken(settings, minted.sliding))
  })

  it('mints access, refresh and sliding tokens simplejwt accepts', async () => {
    const pair = issueTokenPair(settings, aliceId)
    const sliding = issueToken(settings, 'sliding', { user_id: aliceId })
    const [a, r, s, wrongType] = await Promise.all([
      django.tool<Verified>({ op: 'verify', type: 'access', token: pair.access.token }),
      django.tool<Verified>({ op: 'verify', type: 'refresh', token: pair.refresh.token }),
      django.tool<Verified>({ op: 'verify', type: 'sliding', token: sliding.token }),
      django.tool<Verified>({ op: 'verify', type: 'refresh', token: pair.access.token }),
    ])
    expect(a).toMatchObject({ ok: true, payload: { user_id: aliceId, jti: pair.access.jti, aud: AUDIENCE, iss: ISSUER } })
    expect(r).toMatchObject({ ok: true, payload: { token_type: 'refresh', user_id: aliceId } })
    expect(s).toMatchObject({ ok: true, payload: { token_type: 'sliding', refresh_exp: sliding.payload.refresh_exp } })
    expect(wrongType).toMatchObject({ ok: false, error: 'Token has wrong type' })
  })

  it("authenticates a cookiejwt access token on Django's own DRF view, and refreshes a cookiejwt refresh token there", async () => {
    const pair = issueTokenPair(settings, aliceId)
    const me = await fetch(`${server.url}/api/me/`, { headers: { Authorization: `Bearer ${pair.access.token}` } })
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({ id: aliceId, username: 'alice', email: '' })
    const refreshed = await fetch(`${server.url}/api/token/refresh/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh: pair.refresh.token }),
    })
    expect(refreshed.status).toBe(200)
    const body = (await refreshed.json()) as { access: string }
    // …and the access token Django derived from it works here.
    expect(verifyAccessToken(settings, body.access).userId).toBe(aliceId)
  })

  it('honours aud and iss on both sides', async () => {
    const other = cookiejwtSettings({ audience: 'another-api' })
    const minted = await django.tool<Minted>({ op: 'mint', username: 'alice' })
    expectInvalid(() => verifyAccessToken(other, minted.access))
    expectInvalid(() => verifyAccessToken(cookiejwtSettings({ issuer: 'https://evil.example' }), minted.access))
    const fromOther = issueTokenPair(other, aliceId).access.token
    const noIss = issueTokenPair(cookiejwtSettings({ issuer: null }), aliceId).access.token
    const [a, b] = await Promise.all([
      django.tool<Verified>({ op: 'verify', type: 'access', token: fromOther }),
      django.tool<Verified>({ op: 'verify', type: 'access', token: noIss }),
    ])
    expect(a.ok).toBe(false)
    expect(b.ok).toBe(false)
    // A different key is a bad signature on both sides.
    const forged = issueTokenPair(cookiejwtSettings({ signingKey: KEY.replace('0', '1') }), aliceId)
    expect((await django.tool<Verified>({ op: 'verify', type: 'access', token: forged.access.token })).ok).toBe(false)
  })

  it('applies the same leeway to expired tokens on both sides', async () => {
    // Expired 10 s ago: inside the 30 s leeway. Expired 100 s ago: outside.
    const [inside, outside] = await Promise.all([
      django.tool<Minted>({ op: 'mint', username: 'alice', ago: 300 + 10 }),
      django.tool<Minted>({ op: 'mint', username: 'alice', ago: 300 + 100 }),
    ])
    expect(verifyAccessToken(settings, inside.access).userId).toBe(aliceId)
    expectInvalid(() => verifyAccessToken(settings, outside.access))
    expectInvalid(() => verifyAccessToken(cookiejwtSettings({ leeway: 0 }), inside.access))

    const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000)
    const ours = issueToken(settings, 'access', { user_id: aliceId }, at(300 + 10)).token
    const oursOld = issueToken(settings, 'access', { user_id: aliceId }, at(300 + 100)).token
    const [a, b] = await Promise.all([
      django.tool<Verified>({ op: 'verify', type: 'access', token: ours }),
      django.tool<Verified>({ op: 'verify', type: 'access', token: oursOld }),
    ])
    expect(a.ok).toBe(true)
    expect(b).toMatchObject({ ok: false, error: 'Token is invalid or expired' })
  })
})
