/**
 * docs/migrating-from-django.md §6: the SIMPLE_JWT → cookiejwt table lists every simplejwt setting,
 * names only settings cookiejwt has, states the defaults truly, and a non-default configuration
 * translated through it interoperates both ways with real simplejwt.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import {
  DEFAULT_SETTINGS,
  defineSettings,
  issueToken,
  issueTokenPair,
  verifyAccessToken,
  verifyRefreshToken,
  verifyToken,
} from '@cookiejwt/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createDjangoProject, requireDjango, type DjangoProject } from './django-project.js'

const GUIDE = join(dirname(fileURLToPath(import.meta.url)), '../../../../docs/migrating-from-django.md')
const KEY = 'mapping-signing-key-0123456789abcdef-0123456789abcdef-0123456789abcdef'

/** Rows of the §6 table: `| \`KEY\` | \`setting\` or — | notes |`. */
function mappingTable(): { django: string; ours: string | null; notes: string }[] {
  const text = readFileSync(GUIDE, 'utf8')
  const section = text.slice(text.indexOf('## 6. Settings'))
  const rows: { django: string; ours: string | null; notes: string }[] = []
  for (const line of section.split('\n')) {
    const m = /^\| `([A-Z_]+)` \| (?:`([\w.]+)`|—) \|(.*)\|$/.exec(line)
    if (m) rows.push({ django: m[1]!, ours: m[2] ?? null, notes: m[3]!.trim() })
  }
  return rows
}

function simplejwtDefaults(): Record<string, unknown> {
  const script =
    "import json; from django.conf import settings; settings.configure(SECRET_KEY='x'); " +
    'from rest_framework_simplejwt.settings import DEFAULTS; ' +
    "print(json.dumps({k: (v.total_seconds() if hasattr(v, 'total_seconds') else v) for k, v in DEFAULTS.items()}, default=str))"
  const r = spawnSync(requireDjango(), ['-c', script], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as Record<string, unknown>
}

describe('SIMPLE_JWT → cookiejwt settings table', () => {
  it('lists every simplejwt setting once and only real cookiejwt settings', () => {
    const rows = mappingTable()
    const defaults = simplejwtDefaults()
    expect(rows.map((r) => r.django).sort()).toEqual(Object.keys(defaults).sort())
    for (const { ours } of rows) {
      if (ours === null) continue
      expect(Object.hasOwn(DEFAULT_SETTINGS, ours) || ours === 'signingKey', ours).toBe(true)
    }
  })

  it('states the defaults truly: the same where it says "in both", different where it says so', () => {
    const d = simplejwtDefaults()
    const ours = DEFAULT_SETTINGS as unknown as Record<string, unknown>
    expect(d.ACCESS_TOKEN_LIFETIME).toBe(ours.accessTokenLifetime)
    expect(d.REFRESH_TOKEN_LIFETIME).toBe(ours.refreshTokenLifetime)
    expect([d.UPDATE_LAST_LOGIN, ours.updateLastLogin]).toEqual([false, true])
    expect([d.ROTATE_REFRESH_TOKENS, ours.rotateRefreshTokens]).toEqual([false, true])
    expect([d.BLACKLIST_AFTER_ROTATION, ours.blacklistAfterRotation]).toEqual([false, true])
    for (const [k, o] of [
      ['ALGORITHM', 'algorithm'],
      ['LEEWAY', 'leeway'],
      ['USER_ID_FIELD', 'userIdField'],
      ['USER_ID_CLAIM', 'userIdClaim'],
      ['TOKEN_TYPE_CLAIM', 'tokenTypeClaim'],
      ['JTI_CLAIM', 'jtiClaim'],
      ['SLIDING_TOKEN_LIFETIME', 'slidingTokenLifetime'],
      ['SLIDING_TOKEN_REFRESH_LIFETIME', 'slidingTokenRefreshLifetime'],
    ] as const) {
      expect(ours[o], k).toEqual(d[k])
    }
    expect(ours.authHeaderTypes).toEqual(d.AUTH_HEADER_TYPES)
    expect(d.AUTH_HEADER_NAME).toBe('HTTP_AUTHORIZATION')
    expect(ours.authHeaderName).toBe('authorization')
    expect(d.SLIDING_TOKEN_REFRESH_EXP_CLAIM).toBe('refresh_exp')
  })
})

describe('a non-default SIMPLE_JWT translated through the table', { timeout: 60_000 }, () => {
  // The Django side and the cookiejwt side of the same configuration.
  const SIMPLE_JWT = {
    SIGNING_KEY: KEY,
    ALGORITHM: 'HS512',
    ACCESS_TOKEN_LIFETIME: 600,
    REFRESH_TOKEN_LIFETIME: 7200,
    SLIDING_TOKEN_LIFETIME: 120,
    SLIDING_TOKEN_REFRESH_LIFETIME: 3600,
    USER_ID_CLAIM: 'uid',
    TOKEN_TYPE_CLAIM: 'kind',
    JTI_CLAIM: 'token_id',
    AUDIENCE: 'mapped-api',
    ISSUER: 'mapped-issuer',
    LEEWAY: 5,
  }
  const settings = defineSettings({
    signingKey: KEY,
    algorithm: 'HS512',
    accessTokenLifetime: 600,
    refreshTokenLifetime: 7200,
    slidingTokenLifetime: 120,
    slidingTokenRefreshLifetime: 3600,
    userIdClaim: 'uid',
    tokenTypeClaim: 'kind',
    jtiClaim: 'token_id',
    audience: 'mapped-api',
    issuer: 'mapped-issuer',
    leeway: 5,
  })
  let django: DjangoProject
  let id: number

  beforeAll(async () => {
    django = await createDjangoProject({ simpleJwt: SIMPLE_JWT })
    await django.manage(['migrate', '-v', '0'])
    id = (await django.tool<{ id: number }>({ op: 'create_user', username: 'mapped', password: 'x' })).id
  }, 120_000)

  afterAll(async () => {
    await django?.cleanup()
  })

  it('simplejwt tokens verify here with the translated settings', async () => {
    const minted = await django.tool<{ access: string; refresh: string; sliding: string }>({
      op: 'mint',
      username: 'mapped',
    })
    const header = JSON.parse(Buffer.from(minted.access.split('.')[0]!, 'base64url').toString()) as { alg: string }
    expect(header.alg).toBe('HS512')
    const access = verifyAccessToken(settings, minted.access)
    expect(access.userId).toBe(id)
    expect(access.payload).toMatchObject({ kind: 'access', uid: id, aud: 'mapped-api', iss: 'mapped-issuer' })
    expect(access.jti).toBe(access.payload.token_id)
    expect(access.exp - access.iat).toBe(600)
    const refresh = verifyRefreshToken(settings, minted.refresh)
    expect(refresh.exp - refresh.iat).toBe(7200)
    const sliding = verifyToken(settings, minted.sliding, 'sliding')
    expect(sliding.exp - sliding.iat).toBe(120)
    expect(sliding.payload.refresh_exp).toBe(sliding.iat + 3600)
  })

  it('tokens minted here verify in simplejwt with the original SIMPLE_JWT', async () => {
    const pair = issueTokenPair(settings, id)
    const sliding = issueToken(settings, 'sliding', { uid: id })
    const check = (type: string, token: string) =>
      django.tool<{ ok: boolean; payload: Record<string, unknown> }>({ op: 'verify', type, token })
    expect(await check('access', pair.access.token)).toMatchObject({ ok: true, payload: { kind: 'access', uid: id } })
    expect(await check('refresh', pair.refresh.token)).toMatchObject({ ok: true, payload: { kind: 'refresh' } })
    expect(await check('sliding', sliding.token)).toMatchObject({ ok: true, payload: { kind: 'sliding' } })
    // With the default claim names the same token is not simplejwt's.
    const plain = issueTokenPair(defineSettings({ signingKey: KEY, algorithm: 'HS512', audience: 'mapped-api', issuer: 'mapped-issuer' }), id)
    expect((await check('access', plain.access.token)).ok).toBe(false)
  })
})
