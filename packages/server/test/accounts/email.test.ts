import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { defineSettings, type AuthSettings, type AuthSettingsInput } from '@cookiejwt/core'
import { simpleParser } from 'mailparser'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ConsoleEmailBackend,
  EmailQueue,
  EmailWorker,
  FileEmailBackend,
  Mailer,
  SmtpEmailBackend,
  createEmailBackend,
  nextRetryAt,
  type EmailWorkerEvent,
} from '../../src/email/index.js'
import { TEST_DIALECTS, openTestDatabase, type TestDatabase } from '../services/dialects.js'
import { startSmtpServer, type TestSmtpServer } from './smtp.js'

const KEY = 'k'.repeat(32)
const settingsWith = (input: AuthSettingsInput = {}): AuthSettings =>
  defineSettings({ signingKey: KEY, frontendUrl: 'https://app.example.com', ...input })

describe('email settings', () => {
  it('refuses a bad configuration at start-up with a message naming the setting', () => {
    expect(() => settingsWith({ email: { backend: 'smtp' } })).toThrow(
      '"email.backend" is smtp but "email.url" is not set (COOKIEJWT_EMAIL_URL=smtp://user:password@host:port)',
    )
    expect(() => settingsWith({ email: { backend: 'carrier-pigeon' as never } })).toThrow(
      '"email.backend" must be one of smtp, console, file',
    )
    expect(() => settingsWith({ email: { url: 'http://mail.example.com' } })).toThrow(
      '"email.url" must start with smtp:// or smtps:// (got http://)',
    )
    const secret = 'hunter2-very-secret'
    let message = ''
    try {
      settingsWith({ email: { url: `smtp://user:${secret}@ bad host` } })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toBe(
      '"email.url" is not a URL; expected smtp://user:password@host:port or smtps://…',
    )
    expect(message).not.toContain(secret)
    expect(() =>
      settingsWith({ email: { from: 'Evil\r\nBcc: victim@example.com <a@b.c>' } }),
    ).toThrow('"email.from" must be an address')
    expect(() => settingsWith({ email: { templatesDir: '/nonexistent/templates' } })).toThrow(
      '"email.templatesDir" names a folder that does not exist: /nonexistent/templates',
    )
    expect(() => settingsWith({ frontendUrl: 'javascript:alert(1)' })).toThrow(
      '"frontendUrl" must be an http(s) URL',
    )
    expect(() => new SmtpEmailBackend('smtp://h:25?pool=true')).toThrow(
      '"email.url" has an unknown option "pool"',
    )
  })

  it('defaults to the file backend in data/emails', () => {
    const s = defineSettings({ signingKey: KEY })
    expect(s.email).toMatchObject({
      backend: 'file',
      filePath: 'data/emails',
      url: null,
      from: 'webmaster@localhost',
    })
    expect(createEmailBackend(s.email).name).toBe('file')
  })

  it('waits twice as long before each retry, at most an hour, and gives up after maxAttempts', () => {
    const s = settingsWith({ email: { retryDelay: 30, maxAttempts: 12 } }).email
    const t0 = new Date('2026-01-01T00:00:00Z')
    expect(nextRetryAt(s, 1, t0)?.getTime()).toBe(t0.getTime() + 30_000)
    expect(nextRetryAt(s, 2, t0)?.getTime()).toBe(t0.getTime() + 60_000)
    expect(nextRetryAt(s, 3, t0)?.getTime()).toBe(t0.getTime() + 120_000)
    expect(nextRetryAt(s, 11, t0)?.getTime()).toBe(t0.getTime() + 3_600_000)
    expect(nextRetryAt(s, 12, t0)).toBeNull()
  })
})

describe('email backends', () => {
  const message = {
    from: 'Accounts <accounts@example.com>',
    to: 'ada@example.com',
    subject: 'Grüße: confirm',
    text: 'Open https://app.example.com/verify-email/abc\n',
    html: '<p><a href="https://app.example.com/verify-email/abc">Confirm</a></p>',
  }

  it('file: writes one RFC 5322 .eml file per message, readable by its owner only', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cookiejwt-mail-')), 'emails')
    const backend = new FileEmailBackend(dir)
    await backend.send(message)
    await backend.send({ ...message, to: 'grace@example.com' })
    const files = readdirSync(dir).sort()
    expect(files).toHaveLength(2)
    expect(files.every((f) => f.endsWith('.eml'))).toBe(true)
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const raw = readFileSync(join(dir, files[0]!), 'utf8')
    // RFC 5322 §2.1: lines end in CRLF; the header block ends in an empty line.
    expect(raw).toMatch(/^[\s\S]*?\r\n\r\n/)
    expect(raw.split('\r\n').every((line) => !line.includes('\n'))).toBe(true)
    expect(raw).toMatch(/^Date: /m)
    expect(raw).toMatch(/^Message-ID: </m)
    const parsed = await simpleParser(raw)
    expect(parsed.subject).toBe('Grüße: confirm')
    expect(parsed.from?.value[0]).toMatchObject({
      name: 'Accounts',
      address: 'accounts@example.com',
    })
    expect((parsed.to as { text: string }).text).toBe('ada@example.com')
    expect(parsed.text).toContain('https://app.example.com/verify-email/abc')
    expect(parsed.html).toContain('href="https://app.example.com/verify-email/abc"')
  })

  it('console: prints the whole message', async () => {
    let out = ''
    const stream = new Writable({
      write(chunk, _e, cb) {
        out += String(chunk)
        cb()
      },
    })
    await new ConsoleEmailBackend(stream).send(message)
    expect(out).toContain('To: ada@example.com')
    expect(out).toContain('https://app.example.com/verify-email/abc')
  })

  it('smtp: delivers to a real SMTP server with authentication', async () => {
    const smtp = await startSmtpServer()
    try {
      const backend = new SmtpEmailBackend(`${smtp.url}?ignoreTLS=true`)
      await backend.send(message)
      await backend.close()
      const [got] = await smtp.waitFor(1)
      expect(got?.subject).toBe('Grüße: confirm')
      expect(got?.text).toContain('https://app.example.com/verify-email/abc')
      const wrong = new SmtpEmailBackend(smtp.url.replace('secret', 'wrong') + '?ignoreTLS=true')
      await expect(wrong.send(message)).rejects.toThrow()
      await wrong.close()
    } finally {
      await smtp.close()
    }
  })
})

describe('email templates', () => {
  it('uses an operator’s file instead of the built-in one and escapes values in HTML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-tpl-'))
    writeFileSync(join(dir, 'verify_email.subject.txt'), 'Welcome to {{ site }}, {{ username }}')
    writeFileSync(
      join(dir, 'verify_email.html'),
      '<b>{{ username }}</b> <a href="{{ link }}">go</a>',
    )
    const handle = await openTestDatabase('sqlite')
    try {
      const queue = new EmailQueue(handle)
      const mailer = new Mailer({ queue, settings: settingsWith({ email: { templatesDir: dir } }) })
      await mailer.send(
        'verify_email',
        'ada@example.com',
        { username: '<ada>', link: 'https://x/?a=1&b=2' },
        new Date(),
      )
      const [claimed] = await queue.claimDue(new Date())
      expect(claimed?.subject).toBe('Welcome to app.example.com, <ada>')
      expect(claimed?.html).toBe('<b>&#60;ada&#62;</b> <a href="https://x/?a=1&#38;b=2">go</a>')
      // The plain-text part was not overridden: the built-in one, unescaped.
      expect(claimed?.text).toContain('Hello <ada>,')
    } finally {
      await handle.destroy()
    }
  })

  it('refuses an operator template with an unknown placeholder at start-up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-tpl-'))
    writeFileSync(join(dir, 'password_reset.txt'), 'Your password is {{ password }}')
    const handle = await openTestDatabase('sqlite')
    try {
      expect(
        () =>
          new Mailer({
            queue: new EmailQueue(handle),
            settings: settingsWith({ email: { templatesDir: dir } }),
          }),
      ).toThrow(
        `email template ${join(dir, 'password_reset.txt')} uses {{ password }}; known: site, username, email, link, expires`,
      )
    } finally {
      await handle.destroy()
    }
  })
})

for (const dialect of TEST_DIALECTS) {
  describe(`email queue and worker (${dialect})`, () => {
    let database: TestDatabase
    let smtp: TestSmtpServer | null = null
    let clock = new Date('2026-03-01T10:00:00Z')
    const now = () => clock
    beforeEach(async () => {
      database = await openTestDatabase(dialect)
      clock = new Date('2026-03-01T10:00:00Z')
    })
    afterEach(async () => {
      await smtp?.close()
      smtp = null
      await database.destroy()
    })

    const worker = (settings: AuthSettings, url: string, events: EmailWorkerEvent[] = []) =>
      new EmailWorker({
        queue: new EmailQueue(database),
        backend: new SmtpEmailBackend(`${url}?ignoreTLS=true`),
        settings: settings.email,
        now,
        onEvent: (e) => events.push(e),
      })

    it('delivers queued messages over SMTP and empties the stored bodies once sent', async () => {
      smtp = await startSmtpServer()
      const settings = settingsWith()
      const queue = new EmailQueue(database)
      const mailer = new Mailer({ queue, settings })
      await mailer.send(
        'password_reset',
        'ada@example.com',
        { username: 'ada', link: 'https://app.example.com/r/1/tok', expires: '3 days' },
        clock,
      )
      const w = worker(settings, smtp.url)
      expect(await w.runOnce()).toBe(1)
      await w.stop()
      const [got] = await smtp.waitFor(1)
      expect(got?.subject).toBe('Password reset on app.example.com')
      expect(got?.text).toContain('https://app.example.com/r/1/tok')
      const rows = await database.db.selectFrom('cookiejwt_email').selectAll().execute()
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ status: 'sent', text_body: '', html_body: '', attempts: 1 })
    })

    it('retries a temporary SMTP failure later with backoff, then delivers', async () => {
      smtp = await startSmtpServer({ respond: (n) => (n <= 2 ? 451 : null) })
      const settings = settingsWith({ email: { retryDelay: 30 } })
      const queue = new EmailQueue(database)
      await new Mailer({ queue, settings }).send(
        'verify_email',
        'ada@example.com',
        { link: 'https://l' },
        clock,
      )
      const events: EmailWorkerEvent[] = []
      const w = worker(settings, smtp.url, events)
      expect(await w.runOnce()).toBe(0)
      // Not due yet: nothing is tried before the backoff is over.
      clock = new Date(clock.getTime() + 29_000)
      expect(await w.runOnce()).toBe(0)
      expect(smtp.attempts()).toBe(1)
      clock = new Date(clock.getTime() + 1_000)
      expect(await w.runOnce()).toBe(0)
      expect(smtp.attempts()).toBe(2)
      clock = new Date(clock.getTime() + 60_000)
      expect(await w.runOnce()).toBe(1)
      await w.stop()
      expect(events.map((e) => e.event)).toEqual(['email_retry', 'email_retry', 'email_sent'])
      expect(JSON.stringify(events)).not.toContain('https://l')
      const [row] = await queue.list()
      expect(row).toMatchObject({ status: 'sent', attempts: 3 })
    })

    it('marks a message failed after a permanent refusal or maxAttempts, and retry() queues it again', async () => {
      smtp = await startSmtpServer({ respond: (n) => (n === 1 ? 550 : n <= 3 ? 421 : null) })
      const settings = settingsWith({ email: { maxAttempts: 2, retryDelay: 1 } })
      const queue = new EmailQueue(database)
      const mailer = new Mailer({ queue, settings })
      const permanent = await mailer.send('verify_email', 'gone@example.com', {}, clock)
      const w = worker(settings, smtp.url)
      await w.runOnce()
      expect((await queue.list({ status: 'failed' })).map((m) => m.id)).toEqual([permanent])
      const temporary = await mailer.send('verify_email', 'slow@example.com', {}, clock)
      await w.runOnce()
      clock = new Date(clock.getTime() + 1_000)
      await w.runOnce()
      const failed = await queue.list({ status: 'failed' })
      expect(failed.map((m) => m.id).sort()).toEqual([permanent, temporary].sort())
      expect(failed.find((m) => m.id === temporary)?.lastError).toContain('421')
      expect(await queue.retry('failed', clock)).toBe(2)
      expect(await w.runOnce()).toBe(2)
      await w.stop()
      expect((await smtp.waitFor(2)).map((m) => (m.to as { text: string }).text).sort()).toEqual([
        'gone@example.com',
        'slow@example.com',
      ])
    })

    it('keeps queued messages across a restart: a new worker on the same database sends them', async () => {
      smtp = await startSmtpServer()
      const settings = settingsWith()
      await new Mailer({ queue: new EmailQueue(database), settings }).send(
        'verify_email',
        'ada@example.com',
        {},
        clock,
      )
      // A worker that claimed the message and died: its lock expires and another worker takes over.
      const [claimed] = await new EmailQueue(database).claimDue(clock)
      expect(claimed?.to).toBe('ada@example.com')
      const w = worker(settings, smtp.url)
      expect(await w.runOnce()).toBe(0)
      clock = new Date(clock.getTime() + 121_000)
      expect(await w.runOnce()).toBe(1)
      await w.stop()
      expect((await smtp.waitFor(1))[0]?.to).toMatchObject({ text: 'ada@example.com' })
    })

    it('never lets two workers send the same message', async () => {
      smtp = await startSmtpServer()
      const settings = settingsWith()
      const mailer = new Mailer({ queue: new EmailQueue(database), settings })
      for (let i = 0; i < 6; i++) await mailer.send('verify_email', `u${i}@example.com`, {}, clock)
      const a = worker(settings, smtp.url)
      const b = worker(settings, smtp.url)
      const [x, y] = await Promise.all([a.runOnce(), b.runOnce()])
      await Promise.all([a.stop(), b.stop()])
      expect(x + y).toBe(6)
      expect(smtp.messages).toHaveLength(6)
      expect(new Set(smtp.messages.map((m) => (m.to as { text: string }).text)).size).toBe(6)
    })

    it('started in the background, delivers a message as soon as it is queued', async () => {
      smtp = await startSmtpServer()
      const settings = settingsWith()
      const queue = new EmailQueue(database)
      const w = new EmailWorker({
        queue,
        backend: new SmtpEmailBackend(`${smtp.url}?ignoreTLS=true`),
        settings: settings.email,
        pollInterval: 60_000,
      })
      w.start()
      const mailer = new Mailer({ queue, settings, worker: w })
      const started = Date.now()
      await mailer.send('verify_email', 'ada@example.com', {}, new Date())
      await smtp.waitFor(1, 5_000)
      expect(Date.now() - started).toBeLessThan(5_000)
      await w.stop()
    })
  })
}

describe('the server’s email worker', () => {
  it('starts with the server, delivers what is queued, and stops on close', async () => {
    const { buildApp } = await import('../../src/app.js')
    const handle = await openTestDatabase('sqlite')
    const sent: string[] = []
    const backend = {
      name: 'memory',
      send: async (m: { to: string }) => void sent.push(m.to),
      close: async () => {},
    }
    const app = await buildApp(settingsWith(), { database: handle, emailBackend: backend })
    await app.ready()
    const queue = new EmailQueue(handle)
    await queue.enqueue(
      {
        from: 'a@b.c',
        to: 'ada@example.com',
        subject: 's',
        text: 't',
        html: 'h',
        template: 'verify_email',
      },
      new Date(),
    )
    const deadline = Date.now() + 5_000
    while (sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(sent).toEqual(['ada@example.com'])
    await app.close()
  })
})

describe('the worker when the database fails', () => {
  it('reports once and keeps running, then delivers when the queue answers again', async () => {
    let broken = true
    const sent: string[] = []
    const events: EmailWorkerEvent[] = []
    const queued = {
      id: 1,
      to: 'ada@example.com',
      from: 'a@b.c',
      subject: 's',
      text: 't',
      html: 'h',
      template: 'verify_email',
      status: 'sending' as const,
      attempts: 1,
      createdAt: new Date(),
      nextAttemptAt: new Date(),
      sentAt: null,
      lastError: null,
    }
    let pending = [queued]
    const queue = {
      claimDue: async () => {
        if (broken) throw new Error('connection refused')
        return pending.splice(0)
      },
      markSent: async () => {},
      markAttemptFailed: async () => {},
    } as unknown as EmailQueue
    const w = new EmailWorker({
      queue,
      backend: { name: 'memory', send: async (m) => void sent.push(m.to), close: async () => {} },
      settings: settingsWith().email,
      pollInterval: 20,
      onEvent: (e) => events.push(e),
    })
    w.start()
    await new Promise((r) => setTimeout(r, 300))
    expect(events).toEqual([{ event: 'email_worker_error', error: 'connection refused' }])
    broken = false
    w.kick()
    const deadline = Date.now() + 5_000
    while (sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(sent).toEqual(['ada@example.com'])
    pending = []
    await w.stop()
  })
})
