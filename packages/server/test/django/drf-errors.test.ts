/**
 * The same requests against real Django + DRF + simplejwt (runserver) and cookiejwt: status codes and
 * error bodies match, so a front end written against the Django back end works unchanged. cookiejwt
 * always adds `code` (DRF omits it outside token errors); the few message differences are listed
 * here and in docs/migrating-from-django.md.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { defineSettings } from '@cookiejwt/core'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { buildApp } from '../../src/app.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { openDatabase } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { createDjangoProject, type DjangoProject, type DjangoServer } from './django-project.js'

const KEY = 'drf-errors-signing-key-0123456789abcdef-01234567'

interface Answer {
  status: number
  body: Record<string, unknown>
}

async function send(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(base + path, init)
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})

describe('DRF-shaped errors, compared with real DRF/simplejwt', { timeout: 60_000 }, () => {
  let django: DjangoProject
  let server: DjangoServer
  let app: FastifyInstance
  let ours: string
  let dir: string
  let blacklisted = { django: '', ours: '' }

  beforeAll(async () => {
    // cookiejwt's defaults: rotation with blacklisting (simplejwt's are off).
    django = await createDjangoProject({
      simpleJwt: { SIGNING_KEY: KEY, ROTATE_REFRESH_TOKENS: true, BLACKLIST_AFTER_ROTATION: true },
    })
    await django.manage(['migrate', '-v', '0'])
    await django.tool({ op: 'create_user', username: 'alice', password: 'alice-pass-123', hasher: 'pbkdf2_sha1' })
    server = await django.startServer()
    dir = mkdtempSync(join(tmpdir(), 'cookiejwt-drf-'))
    const database = await openDatabase(`sqlite:${join(dir, 'db.sqlite3')}`)
    await migrateToLatest(database)
    await new KyselyUserStore(database).create(
      { username: 'alice', password: (await django.tool<{ password: string }>({ op: 'user', username: 'alice' })).password },
      new Date(),
    )
    app = await buildApp(defineSettings({ signingKey: KEY }), { database })
    ours = await app.listen({ host: '127.0.0.1', port: 0 })
    // A refresh token blacklisted on each side.
    for (const [side, base] of [['django', server.url], ['ours', ours]] as const) {
      const pair = await send(base, '/api/token/', json({ username: 'alice', password: 'alice-pass-123' }))
      const refresh = pair.body.refresh as string
      if (side === 'django') {
        await send(base, '/api/token/refresh/', json({ refresh })) // rotation blacklists it
      } else {
        // cookiejwt answers a replay inside the rotation grace window with the same pair (docs/sessions.md),
        // so the token is blacklisted outright here, as logout does.
        await send(base, '/api/token/blacklist/', json({ refresh }))
      }
      blacklisted[side] = refresh
    }
  }, 180_000)

  afterAll(async () => {
    await app?.close()
    await django?.cleanup()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /**
   * simplejwt 5.2 (Debian 12) says "Token is invalid or expired" for both cases; cookiejwt uses the
   * split wording of simplejwt ≥ 5.3. The only detail text that differs; `code` is the same.
   */
  const DETAIL_DIFFERENCES: Record<string, string[]> = {
    'Token is invalid or expired': ['Token is invalid', 'Token is expired'],
  }

  /** Same status; every key of DRF's body present with the same value, plus `code`. */
  async function expectSame(path: string, init: RequestInit, code: string, sameDetail = true): Promise<[theirs: Answer, mine: Answer]> {
    const [theirs, mine] = await Promise.all([send(server.url, path, init), send(ours, path, init)])
    expect(mine.status, `${path} status`).toBe(theirs.status)
    if (sameDetail) {
      const expected = stripMessages(theirs.body)
      const allowed = DETAIL_DIFFERENCES[String(expected.detail)]
      if (allowed) {
        expect(allowed).toContain(mine.body.detail)
        delete expected.detail
      }
      expect(mine.body).toMatchObject(expected)
    }
    expect(mine.body.code).toBe(code)
    if ('code' in theirs.body) expect(theirs.body.code).toBe(code)
    return [theirs, mine]
  }

  function stripMessages(body: Record<string, unknown>): Record<string, unknown> {
    const { messages: _ignored, ...rest } = body
    return rest
  }

  it('wrong credentials: 401 "No active account found with the given credentials"', async () => {
    const [theirs] = await expectSame(
      '/api/token/',
      json({ username: 'alice', password: 'wrong' }),
      'no_active_account',
    )
    expect(theirs.body).toEqual({ detail: 'No active account found with the given credentials' })
    await expectSame('/api/token/', json({ username: 'nobody', password: 'wrong' }), 'no_active_account')
  })

  it('invalid, blacklisted and wrong-type tokens: 401 token_not_valid with simplejwt messages', async () => {
    await expectSame('/api/token/refresh/', json({ refresh: 'not.a.token' }), 'token_not_valid')
    await expectSame('/api/token/verify/', json({ token: 'garbage' }), 'token_not_valid')
    const [a] = await Promise.all([
      send(server.url, '/api/token/refresh/', json({ refresh: blacklisted.django })),
    ])
    const b = await send(ours, '/api/token/refresh/', json({ refresh: blacklisted.ours }))
    expect(a).toEqual({ status: 401, body: { detail: 'Token is blacklisted', code: 'token_not_valid' } })
    expect(b).toEqual(a)
    // An access token where a refresh token is expected.
    const access = (await send(ours, '/api/token/', json({ username: 'alice', password: 'alice-pass-123' }))).body
      .access as string
    const djangoAccess = (await send(server.url, '/api/token/', json({ username: 'alice', password: 'alice-pass-123' })))
      .body.access as string
    const theirs = await send(server.url, '/api/token/refresh/', json({ refresh: djangoAccess }))
    const mine = await send(ours, '/api/token/refresh/', json({ refresh: access }))
    expect(theirs).toEqual({ status: 401, body: { detail: 'Token has wrong type', code: 'token_not_valid' } })
    expect(mine).toEqual(theirs)
  })

  it('missing fields: 400 {"<field>": ["This field is required."]}', async () => {
    const [theirs] = await expectSameValidation('/api/token/', json({ username: 'alice' }))
    expect(theirs.body).toEqual({ password: ['This field is required.'] })
    await expectSameValidation('/api/token/refresh/', json({}))
    await expectSameValidation('/api/token/verify/', json({}))
  })

  async function expectSameValidation(path: string, init: RequestInit): Promise<[theirs: Answer, mine: Answer]> {
    const [theirs, mine] = await Promise.all([send(server.url, path, init), send(ours, path, init)])
    expect(theirs.status).toBe(400)
    expect(mine).toEqual(theirs)
    return [theirs, mine]
  }

  it('malformed JSON (400 parse_error), wrong content type (415), wrong method (405): same status, DRF-like detail', async () => {
    const [p1] = await expectSame('/api/token/', json('{"username": '), 'parse_error', false)
    expect(p1.status).toBe(400)
    const [, p2] = await expectSame('/api/token/', json('{"username": '), 'parse_error', false)
    expect(p2.body.detail).toMatch(/^JSON parse error - /)
    const textPlain = { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' }
    const [t1, t2] = await expectSame('/api/token/', textPlain, 'unsupported_media_type', false)
    expect(t1.status).toBe(415)
    expect(t1.body.detail).toMatch(/^Unsupported media type/)
    expect(t2.body.detail).toMatch(/^Unsupported media type/)
    const [m1, m2] = await expectSame('/api/token/', { method: 'GET' }, 'method_not_allowed')
    expect(m1).toEqual({ status: 405, body: { detail: 'Method "GET" not allowed.' } })
    expect(m2.body.detail).toBe('Method "GET" not allowed.')
  })

  it('protected views: 401 without credentials, 401 token_not_valid with a bad Bearer token', async () => {
    const none = await send(server.url, '/api/me/')
    const noneOurs = await send(ours, '/api/auth/me/')
    expect(none).toEqual({ status: 401, body: { detail: 'Authentication credentials were not provided.' } })
    expect(noneOurs.status).toBe(401)
    expect(noneOurs.body).toMatchObject({ ...none.body, code: 'not_authenticated' })
    const bad = { headers: { Authorization: 'Bearer not.a.token' } }
    const [theirs, mine] = await Promise.all([send(server.url, '/api/me/', bad), send(ours, '/api/auth/me/', bad)])
    expect(theirs.status).toBe(401)
    expect(theirs.body).toMatchObject({ detail: 'Given token not valid for any token type', code: 'token_not_valid' })
    expect(mine.status).toBe(401)
    expect(mine.body.code).toBe('token_not_valid')
  })
})
