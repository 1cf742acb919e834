import { mkdtempSync, statSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { generateSigningKey, type SigningKey } from '@cookiejwt/core'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/index.js'
import { loadConfig } from '../../src/cli/config.js'
import { call, HMAC_KEY, jwtHeader, login, startServer, type Running } from './harness.js'

const servers: Running[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})
const start = async (...args: Parameters<typeof startServer>) => {
  const s = await startServer(...args)
  servers.push(s)
  return s
}
const on = (key: SigningKey, active = true): SigningKey => ({ ...key, active })

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c) => (out += c))
  stderr.on('data', (c) => (err += c))
  const code = await main(args, { env, stdout, stderr })
  return { code, out, err }
}

describe('key rotation on a running server', () => {
  const k1 = generateSigningKey('EdDSA', 'k1')
  const k2 = generateSigningKey('ES256', 'k2')

  it('keeps sessions signed by the old key working after a restart with a new signing key', async () => {
    const before = await start({ signingKeys: [on(k1)] }, { user: 'ada' })
    const cookies = await login(before.url, 'ada', before.settings)
    expect(jwtHeader(cookies.access_token!)).toMatchObject({ alg: 'EdDSA', kid: 'k1' })
    await before.close()

    const after = await start({ signingKeys: [on(k1, false), on(k2)] }, { dir: before.dir, user: 'ada' })
    const me = await call(after.url, 'GET', '/api/auth/me/', { cookies })
    expect(me.status).toBe(200)
    expect(me.json.username).toBe('ada')
    // A refresh with the old refresh token works and re-signs with the new key.
    const refreshed = await call(after.url, 'POST', '/api/auth/refresh/', { cookies })
    expect(refreshed.status).toBe(200)
    const access = refreshed.setCookies.find((c) => c.startsWith('access_token=') && !c.includes('Max-Age=0'))!
    expect(jwtHeader(access.split('=')[1]!.split(';')[0]!)).toMatchObject({ alg: 'ES256', kid: 'k2' })

    // Dropping k1 entirely ends k1 sessions with 401 token_not_valid.
    const dropped = await start({ signingKeys: [on(k2)] }, { dir: before.dir })
    const gone = await call(dropped.url, 'GET', '/api/auth/me/', { cookies })
    expect(gone.status).toBe(401)
    expect(gone.json).toMatchObject({ code: 'token_not_valid' })
  })

  it('answers a token with an unknown kid with 401 token_not_valid', async () => {
    const s = await start({ signingKeys: [on(k2)] }, { user: 'bob' })
    const cookies = await login(s.url, 'bob', s.settings)
    const [h, p, sig] = cookies.access_token!.split('.')
    const head = { ...JSON.parse(Buffer.from(h!, 'base64url').toString()), kid: '../../../etc/passwd' }
    const forged = `${Buffer.from(JSON.stringify(head)).toString('base64url')}.${p}.${sig}`
    const res = await call(s.url, 'GET', '/api/auth/me/', { headers: { authorization: `Bearer ${forged}` } })
    expect(res.status).toBe(401)
    expect(res.json).toMatchObject({ code: 'token_not_valid' })
  })
})

describe('GET /.well-known/jwks.json', () => {
  it('publishes the public keys (active and retired) and no private member', async () => {
    const ed = generateSigningKey('EdDSA', 'ed')
    const rs = generateSigningKey('RS256', 'rs')
    const s = await start({ signingKeys: [on(ed), on(rs, false), on(generateSigningKey('HS256', 'hs'), false)] })
    const res = await call(s.url, 'GET', '/.well-known/jwks.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    expect(res.json.keys.map((k: { kid: string }) => k.kid)).toEqual(['ed', 'rs'])
    for (const key of res.json.keys) for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(secret)
    expect((await call(s.url, 'POST', '/.well-known/jwks.json')).status).toBe(405)
  })

  it('is 404 when only HMAC keys are configured', async () => {
    const s = await start({ signingKey: HMAC_KEY })
    const res = await call(s.url, 'GET', '/.well-known/jwks.json')
    expect(res.status).toBe(404)
    expect(res.json).toEqual({ detail: 'Not found.', code: 'not_found' })
  })
})

describe('npx cookiejwt keys', () => {
  it('generates a 0600 key file, rotates, stages, activates and lists without printing secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-keys-'))
    const file = join(dir, 'keys.json')
    const env = { COOKIEJWT_KEYS_FILE: file, COOKIEJWT_DATA_DIR: dir }

    expect((await cli(['keys', 'generate'], env)).code).toBe(0)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect((await cli(['keys', 'generate'], env))).toMatchObject({ code: 1, err: expect.stringContaining('exists') })

    expect((await cli(['keys', 'rotate', '--alg', 'ES256'], env)).code).toBe(0)
    const staged = await cli(['keys', 'rotate', '--stage'], env)
    expect(staged.code).toBe(0)
    const stagedKid = /activate (\S+)'/.exec(staged.out)![1]!
    let stored = JSON.parse(readFileSync(file, 'utf8')) as { keys: { kid: string; algorithm: string; active: boolean; key: string }[] }
    expect(stored.keys.map((k) => [k.algorithm, k.active])).toEqual([['EdDSA', false], ['ES256', true], ['ES256', false]])

    expect((await cli(['keys', 'activate', stagedKid], env)).code).toBe(0)
    stored = JSON.parse(readFileSync(file, 'utf8'))
    expect(stored.keys.find((k) => k.active)!.kid).toBe(stagedKid)
    expect(statSync(file).mode & 0o777).toBe(0o600)

    const list = await cli(['keys', 'list'], env)
    expect(list.code).toBe(0)
    expect(list.out).toContain(`${stagedKid}`)
    expect(list.out.match(/signing/g)).toHaveLength(1)
    for (const k of stored.keys) expect(list.out).not.toContain(k.key.split('\n')[1]!)

    // The server configuration picks the file up; the active key signs.
    const config = loadConfig(env, dir)
    expect(config.settings.signingKeys.find((k) => k.active)!.kid).toBe(stagedKid)

    expect((await cli(['keys', 'rotate', '--keep', '2'], env)).code).toBe(0)
    expect(JSON.parse(readFileSync(file, 'utf8')).keys).toHaveLength(2)
  })

  it('refuses a key file readable by others, and a file with two active keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-keys-'))
    const file = join(dir, 'keys.json')
    const a = { ...generateSigningKey('HS256', 'a'), active: true }
    writeFileSync(file, JSON.stringify({ keys: [a] }), { mode: 0o644 })
    chmodSync(file, 0o644)
    expect(() => loadConfig({ COOKIEJWT_KEYS_FILE: file }, dir)).toThrow(/readable by others; run chmod 600/)
    chmodSync(file, 0o600)
    expect(loadConfig({ COOKIEJWT_KEYS_FILE: file }, dir).settings.signingKeys).toHaveLength(1)
    writeFileSync(file, JSON.stringify({ keys: [a, { ...a, kid: 'b' }] }))
    expect(() => loadConfig({ COOKIEJWT_KEYS_FILE: file }, dir)).toThrow(/exactly one key with "active": true/)
    const bad = await cli(['serve', '--port', '0'], { COOKIEJWT_KEYS_FILE: file, COOKIEJWT_DATA_DIR: dir })
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/exactly one key/)
  })
})
