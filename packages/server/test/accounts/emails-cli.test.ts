import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AccountStore } from '../../src/accounts/store.js'
import { EmailQueue } from '../../src/email/queue.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { TEST_KEY } from '../helpers.js'
import { startSmtpServer, type TestSmtpServer } from './smtp.js'

const BIN = resolve(import.meta.dirname, '../../bin/cookiejwt.js')
const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-emails-cli-'))
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DATABASE_URL: `sqlite:${join(dir, 'db.sqlite3')}`,
  COOKIEJWT_SIGNING_KEY: TEST_KEY,
}

// Asynchronous: the SMTP server runs in this process and must keep answering while the CLI runs.
function cli(
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, cwd: dir })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += String(c)))
    child.stderr.on('data', (c: Buffer) => (stderr += String(c)))
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}

describe('cookiejwt emails', { timeout: 60_000 }, () => {
  let handle: DatabaseHandle
  let smtp: TestSmtpServer
  let ids: number[] = []

  beforeAll(async () => {
    handle = await openDatabase(env.DATABASE_URL)
    const { error } = await migrateToLatest(handle)
    if (error) throw error
    smtp = await startSmtpServer()
    const queue = new EmailQueue(handle)
    const message = {
      from: 'webmaster@localhost',
      subject: 'Hi',
      text: 'link https://x/verify-email/SECRETKEY',
      html: '<p>x</p>',
    }
    ids = [
      await queue.enqueue(
        { ...message, to: 'ada@example.com', template: 'verify_email' },
        new Date(),
      ),
      await queue.enqueue(
        { ...message, to: 'grace@example.com', template: 'password_reset' },
        new Date(),
      ),
    ]
    // Mark the second one failed, as a worker does after its last attempt.
    await queue.claimDue(new Date(), 10)
    await queue.markAttemptFailed(ids[0]!, 'connect ECONNREFUSED', new Date(Date.now() - 1000))
    await queue.markAttemptFailed(ids[1]!, 'SMTP server refused the message (550)', null)
  })
  afterAll(async () => {
    await handle.destroy()
    await smtp.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('lists the queue without message bodies, filtered by status', async () => {
    const all = await cli(['emails', 'list'])
    expect(all.code, all.stderr).toBe(0)
    expect(all.stdout).toContain('ada@example.com')
    expect(all.stdout).toContain('grace@example.com')
    expect(all.stdout).not.toContain('SECRETKEY')
    const failed = await cli(['emails', 'list', '--status', 'failed'])
    expect(failed.stdout.trim().split('\n')).toHaveLength(1)
    expect(failed.stdout).toMatch(
      new RegExp(
        `^${ids[1]}\\tfailed\\tpassword_reset\\tgrace@example.com\\tattempts 1\\tfailed  last error: SMTP server refused the message \\(550\\)`,
      ),
    )
    const bad = await cli(['emails', 'list', '--status', 'lost'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('--status must be one of pending, sending, sent, failed')
  })

  it('retries a failed message and sends what is due over SMTP', async () => {
    const missing = await cli(['emails', 'retry', String(ids[0])])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`no failed message with id ${ids[0]}`)
    const retried = await cli(['emails', 'retry', String(ids[1])])
    expect(retried.code, retried.stderr).toBe(0)
    expect(retried.stdout).toContain('Queued 1 message again')
    const sent = await cli(['emails', 'send'], {
      COOKIEJWT_EMAIL_URL: `${smtp.url}?ignoreTLS=true`,
    })
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toContain('Sent 2 messages.')
    const got = await smtp.waitFor(2)
    expect(got.map((m) => (m.to as { text: string }).text).sort()).toEqual([
      'ada@example.com',
      'grace@example.com',
    ])
    const list = await cli(['emails', 'list', '--status', 'sent'])
    expect(list.stdout.trim().split('\n')).toHaveLength(2)
  })

  it('writes .eml files with the file backend into COOKIEJWT_EMAIL_FILE_PATH', async () => {
    await new EmailQueue(handle).enqueue(
      {
        from: 'webmaster@localhost',
        to: 'file@example.com',
        subject: 'File',
        text: 'hello',
        html: '<p>hello</p>',
        template: 'verify_email',
      },
      new Date(),
    )
    const out = join(dir, 'outbox')
    const sent = await cli(['emails', 'send'], { COOKIEJWT_EMAIL_FILE_PATH: out })
    expect(sent.code, sent.stderr).toBe(0)
    const files = readdirSync(out)
    expect(files).toHaveLength(1)
    expect(readFileSync(join(out, files[0]!), 'utf8')).toMatch(/^To: file@example.com\r$/m)
  })

  it('verifyemail marks one user’s or every user’s address verified', async () => {
    const users = new KyselyUserStore(handle)
    const ada = await users.create({ username: 'ada', email: 'ada@example.com', password: 'x' }, new Date())
    const bob = await users.create({ username: 'bob', email: 'bob@example.com', password: 'x' }, new Date())
    await users.create({ username: 'nomail', email: '', password: 'x' }, new Date())
    const store = new AccountStore(handle)
    const one = await cli(['verifyemail', 'ada'])
    expect(one.code, one.stderr).toBe(0)
    expect(one.stdout).toBe('Marked ada@example.com of ada verified.\n')
    expect(await store.isVerified(ada.id, ada.email)).toBe(true)
    expect(await store.isVerified(bob.id, bob.email)).toBe(false)
    const rest = await cli(['verifyemail', '--all'])
    expect(rest.stdout).toBe('Marked 1 address verified.\n')
    expect(await store.isVerified(bob.id, bob.email)).toBe(true)
    const missing = await cli(['verifyemail', 'ghost'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no user "ghost"')
    expect((await cli(['verifyemail', 'nomail'])).stderr).toContain('has no email address')
    expect((await cli(['verifyemail'])).stderr).toContain('give a username or --all')
  })

  it('refuses bad email configuration with a one-line error naming the variable', async () => {
    const backend = await cli(['emails', 'list'], { COOKIEJWT_EMAIL_BACKEND: 'pigeon' })
    expect(backend.code).not.toBe(0)
    expect(backend.stderr).toContain(
      'COOKIEJWT_EMAIL_BACKEND must be smtp, console or file (got "pigeon")',
    )
    const url = await cli(['emails', 'list'], { COOKIEJWT_EMAIL_URL: 'mailto:user:hunter2@host' })
    expect(url.stderr).toContain(
      'COOKIEJWT_EMAIL_URL must look like smtp://user:password@host:port',
    )
    expect(url.stderr).not.toContain('hunter2')
    const smtpOnly = await cli(['emails', 'list'], { COOKIEJWT_EMAIL_BACKEND: 'smtp' })
    expect(smtpOnly.stderr).toContain('"email.backend" is smtp but "email.url" is not set')
    const verification = await cli(['emails', 'list'], {
      COOKIEJWT_EMAIL_VERIFICATION: 'sometimes',
    })
    expect(verification.stderr).toContain(
      'COOKIEJWT_EMAIL_VERIFICATION must be mandatory, optional or none (got "sometimes")',
    )
    const registration = await cli(['emails', 'list'], { COOKIEJWT_REGISTRATION: 'yes' })
    expect(registration.stderr).toContain(
      'COOKIEJWT_REGISTRATION must be true or false (got "yes")',
    )
  })
})
