import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { defineSettings } from '@cookiejwt/core'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/index.js'
import { inspectClient } from '../../src/cli/commands/doctor.js'
import { checkSettings } from '../../src/doctor/check-config.js'
import { checkDeployment } from '../../src/doctor/check-live.js'
import { call, HMAC_KEY, startServer, type Running } from '../keys/harness.js'

const servers: Running[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

async function doctor(args: string[], env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough()
  let out = ''
  stdout.on('data', (c) => (out += c))
  const code = await main(['doctor', '--json', ...args], { env, stdout, stderr: new PassThrough() })
  return { code, report: JSON.parse(out) as { ok: boolean; findings: { level: string; code: string; message: string }[] } }
}
const codes = (r: { findings: { code: string; level: string }[] }) => r.findings.filter((f) => f.level !== 'info').map((f) => f.code)
const env = (extra: NodeJS.ProcessEnv = {}) => ({ COOKIEJWT_SIGNING_KEY: HMAC_KEY, COOKIEJWT_DATA_DIR: mkdtempSync(join(tmpdir(), 'doc-')), ...extra })

describe('clock skew against a live server', () => {
  it('reports a clock minutes away, and not the second-granular Date header of a slow response', async () => {
    const s = await startServer({ signingKey: HMAC_KEY })
    servers.push(s)
    const settings = defineSettings({ signingKey: HMAC_KEY })
    const ahead = await checkDeployment({ url: new URL(s.url), settings, now: () => new Date(Date.now() + 5 * 60_000) })
    expect(ahead.map((f) => f.code)).toContain('clock-skew')
    const inSync = await checkDeployment({ url: new URL(s.url), settings })
    expect(inSync.map((f) => f.code)).not.toContain('clock-skew')
  })
})

describe('npx cookiejwt doctor', () => {
  it('exits 0 for a same-origin setup against a live server', async () => {
    const s = await startServer({ signingKey: HMAC_KEY })
    servers.push(s)
    const { code, report } = await doctor(['--url', s.url, '--app-origin', s.url], env())
    expect(codes(report)).toEqual([])
    expect(report.ok).toBe(true)
    expect(code).toBe(0)
  })

  it('explains a cross-site front end that CORS and CSRF do not allow, and exits 1', async () => {
    const s = await startServer({ signingKey: HMAC_KEY })
    servers.push(s)
    const { code, report } = await doctor(['--url', s.url, '--app-origin', 'https://app.other-site.com'], env())
    expect(code).toBe(1)
    expect(codes(report)).toEqual(expect.arrayContaining(['cors-origin-not-allowed', 'csrf-origin-not-trusted', 'cross-site']))
    expect(report.findings.find((f) => f.code === 'cross-site')!.message).toMatch(/different sites/)
  })

  it('reports a configuration the server would refuse, naming the value', async () => {
    const { code, report } = await doctor([], env({ COOKIEJWT_CSRF_TRUSTED_ORIGINS: 'app.example.com' }))
    expect(code).toBe(1)
    expect(report.findings[0]).toMatchObject({ level: 'error', code: 'configuration' })
    expect(report.findings[0]!.message).toMatch(/"app.example.com", which has no scheme/)
    const short = await doctor([], env({ COOKIEJWT_SIGNING_KEY: 'too-short' }))
    expect(short.code).toBe(1)
    expect(short.report.findings[0]!.message).toMatch(/at least 32 bytes/)
  })

  it('flags an unreachable URL as an error', async () => {
    const { code, report } = await doctor(['--url', 'http://127.0.0.1:1'], env())
    expect(code).toBe(1)
    expect(codes(report)).toContain('unreachable')
  })
})

describe('configuration checks', () => {
  it('names cookie Domain mismatches, insecure cookies over HTTPS and axios without withXSRFToken', () => {
    const settings = defineSettings({ signingKey: HMAC_KEY, authCookie: { domain: 'example.org' } })
    const findings = checkSettings(settings, {
      production: true,
      apiUrl: new URL('https://api.example.com'),
      appOrigin: new URL('https://app.example.com'),
      client: { usesAxios: true, hasWithXSRFToken: false },
    })
    const byCode = new Map(findings.map((f) => [f.code, f]))
    expect(byCode.get('cookie-domain-mismatch')!.level).toBe('error')
    expect(byCode.get('insecure-cookie')!.level).toBe('error')
    expect(byCode.get('axios-withxsrftoken')!.message).toContain("xsrfHeaderName: 'X-CSRFToken'")
    expect(byCode.has('cross-site')).toBe(false)
    expect(byCode.get('same-site')!.level).toBe('info')
  })

  it('says when account emails would never be delivered in production', () => {
    const settings = defineSettings({ signingKey: HMAC_KEY, registration: true, frontendUrl: 'http://app.example.com' })
    const byCode = new Map(checkSettings(settings, { production: true }).map((f) => [f.code, f]))
    expect(byCode.get('email-not-sent')).toMatchObject({ level: 'error' })
    expect(byCode.get('email-not-sent')!.message).toContain('written to data/emails')
    expect(byCode.get('insecure-frontend-url')!.level).toBe('warning')
    expect(byCode.get('email-from-localhost')!.level).toBe('warning')
    const smtp = defineSettings({ signingKey: HMAC_KEY, frontendUrl: 'https://app.example.com', email: { url: 'smtp://u:p@mail.example.com:587', backend: 'smtp', from: 'no-reply@example.com' } })
    const codes = checkSettings(smtp, { production: true }).map((f) => f.code)
    for (const code of ['email-not-sent', 'insecure-frontend-url', 'email-from-localhost']) expect(codes).not.toContain(code)
    expect(checkSettings(settings, { production: false }).map((f) => f.code)).not.toContain('email-not-sent')
  })

  it('finds axios and withXSRFToken in a front-end folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-'))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ dependencies: { axios: '^1.7.0' } }))
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src', 'api.ts'), 'export const api = axios.create({ withCredentials: true })\n')
    expect(inspectClient(dir)).toEqual({ usesAxios: true, hasWithXSRFToken: false })
    writeFileSync(join(dir, 'src', 'api.ts'), 'export const api = axios.create({ withXSRFToken: true })\n')
    expect(inspectClient(dir)).toEqual({ usesAxios: true, hasWithXSRFToken: true })
  })
})

describe('GET /api/auth/diagnostics/', () => {
  it('is not registered unless the setting enables it', async () => {
    const s = await startServer({ signingKey: HMAC_KEY })
    servers.push(s)
    expect((await call(s.url, 'GET', '/api/auth/diagnostics/')).status).toBe(404)
  })

  it('reports cookie names (never values), origin and CORS match for the calling browser', async () => {
    const s = await startServer({ signingKey: HMAC_KEY, diagnostics: true })
    servers.push(s)
    const res = await call(s.url, 'GET', '/api/auth/diagnostics/', {
      headers: { origin: 'https://evil.example', cookie: 'access_token=secret-value-1; access_token=secret-value-2' },
    })
    expect(res.status).toBe(200)
    expect(res.json.request).toMatchObject({
      origin: 'https://evil.example',
      corsAllowed: false,
      originTrusted: false,
      cookiesReceived: { access_token: true, refresh_token: false, csrftoken: false },
      duplicateCookies: ['access_token'],
    })
    expect(res.json.findings.map((f: { code: string }) => f.code)).toEqual(expect.arrayContaining(['duplicate-cookies', 'no-csrf-cookie']))
    expect(JSON.stringify(res.json)).not.toContain('secret-value')
  })

  it('is never registered when NODE_ENV=production', async () => {
    const previous = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      const s = await startServer({ signingKey: HMAC_KEY, diagnostics: true })
      servers.push(s)
      expect((await call(s.url, 'GET', '/api/auth/diagnostics/')).status).toBe(404)
    } finally {
      process.env.NODE_ENV = previous
    }
  })
})
