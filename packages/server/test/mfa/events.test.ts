import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateTotpCode } from '../../src/mfa/totp.js'
import { Client, PASSWORD, startTestServer, type TestServer } from '../helpers.js'

// The second factor's security events, through a real pino logger: stable names and fields, and never a secret, a
// code, a backup code or a token in any line.
const lines: string[] = []
let server: TestServer
const secrets: string[] = [PASSWORD]

beforeAll(async () => {
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      callback()
    },
  })
  server = await startTestServer({ mfa: { failuresPerUser: 3 } }, { loggerInstance: pino({ level: 'info' }, stream) })
  await server.createUser('ada')
})
afterAll(() => server?.close())

type Rec = Record<string, unknown>
const since = (from: number): Rec[] => lines.slice(from).map((l) => JSON.parse(l) as Rec)
const events = (from: number) => since(from).filter((r) => r.security === true).map((r) => r.event)

describe('second-factor security events', () => {
  it('records enrolment, the pending second step, wrong codes, the lockout and the refusal; no secret anywhere', async () => {
    const c = new Client(server.url)
    expect((await c.post('/api/auth/login/', { username: 'ada', password: PASSWORD })).status).toBe(200)
    const setup = await c.post('/api/auth/mfa/totp/setup/')
    secrets.push(setup.json.secret)
    let mark = lines.length
    const first = await generateTotpCode(setup.json.secret, new Date())
    const confirm = await c.post('/api/auth/mfa/totp/confirm/', { code: first })
    expect(confirm.status).toBe(200)
    secrets.push(first, ...confirm.json.backup_codes, ...confirm.json.backup_codes.map((b: string) => b.replace('-', '')))
    expect(events(mark)).toEqual(['mfa_enabled'])
    expect(since(mark).find((r) => r.event === 'mfa_enabled')).toMatchObject({ userId: expect.any(Number), ip: '127.0.0.1', level: 30 })

    mark = lines.length
    const b = new Client(server.url)
    const login = await b.post('/api/auth/login/', { username: 'ada', password: PASSWORD })
    const mfaToken = login.cookie('mfa_token')!.value
    secrets.push(mfaToken)
    expect(events(mark)).toEqual(['mfa_required'])
    expect(since(mark).find((r) => r.event === 'mfa_required')).toMatchObject({ jti: expect.stringMatching(/^[0-9a-f]{32}$/) })

    mark = lines.length
    for (let i = 0; i < 3; i++) expect((await b.post('/api/auth/login/mfa/', { code: String(300000 + i) })).status).toBe(400)
    expect((await b.post('/api/auth/login/mfa/', { code: confirm.json.backup_codes[0] })).status).toBe(429)
    expect(events(mark)).toEqual(['mfa_failed', 'mfa_failed', 'mfa_failed', 'lockout', 'mfa_throttled'])
    const records = since(mark)
    expect(records.find((r) => r.event === 'lockout')).toMatchObject({ scope: ['mfa_user'], level: 40 })
    expect(records.find((r) => r.event === 'mfa_throttled')).toMatchObject({ retryAfter: expect.any(Number), level: 40 })

    const all = lines.join('\n')
    for (const secret of secrets) expect(all).not.toContain(secret)
  })
})
