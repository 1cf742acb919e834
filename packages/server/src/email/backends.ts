import { randomBytes } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { ImproperlyConfigured, type EmailSettings } from '@cookiejwt/core'
import type Nodemailer from 'nodemailer'
import type { Transporter } from 'nodemailer'

// nodemailer (CommonJS, ~40 modules) loads on first use: imported eagerly it cost ≈ 150 ms of every start-up
// (measured in bench/, `cookiejwt serve` cold start), also when no message is ever sent.
const require = createRequire(import.meta.url)
let nodemailerModule: typeof Nodemailer | undefined
function nodemailer(): typeof Nodemailer {
  return (nodemailerModule ??= require('nodemailer') as typeof Nodemailer)
}

/** One message as the queue hands it to a backend. */
export interface OutgoingEmail {
  from: string
  to: string
  subject: string
  text: string
  html: string
}

/** Delivers messages (Django's email backends). `send` rejects when the message was not delivered. */
export interface EmailBackend {
  readonly name: string
  send(message: OutgoingEmail): Promise<void>
  close(): Promise<void>
}

/** A delivery failure the SMTP server called permanent (5xx): retrying the same message cannot succeed. */
export class PermanentEmailError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PermanentEmailError'
  }
}

// RFC 5322 messages with CRLF line ends, composed by nodemailer without sending anything (made on first use).
let composer: Transporter | undefined

/** The message as RFC 5322 bytes: headers, a multipart/alternative text and HTML body. */
export async function composeEmail(message: OutgoingEmail): Promise<Buffer> {
  composer ??= nodemailer().createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
  })
  const info = await composer.sendMail(message)
  return info.message as Buffer
}

/** Writes one `.eml` file per message into a folder (Django's filebased backend; for development). */
export class FileEmailBackend implements EmailBackend {
  readonly name = 'file'
  readonly #dir: string
  #seq = 0

  constructor(dir: string) {
    this.#dir = resolve(dir)
  }

  async send(message: OutgoingEmail): Promise<void> {
    // 0700/0600: the files hold verification and reset links.
    await mkdir(this.#dir, { recursive: true, mode: 0o700 })
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')
    const file = join(
      this.#dir,
      `${stamp}-${String(++this.#seq).padStart(4, '0')}-${randomBytes(4).toString('hex')}.eml`,
    )
    await writeFile(file, await composeEmail(message), { mode: 0o600, flag: 'wx' })
    await chmod(file, 0o600)
  }

  async close(): Promise<void> {}
}

/** Prints each message to a stream (Django's console backend). */
export class ConsoleEmailBackend implements EmailBackend {
  readonly name = 'console'
  readonly #out: NodeJS.WritableStream

  constructor(out: NodeJS.WritableStream = process.stdout) {
    this.#out = out
  }

  async send(message: OutgoingEmail): Promise<void> {
    const raw = (await composeEmail(message)).toString('utf8')
    this.#out.write(`${raw}\n${'-'.repeat(79)}\n`)
  }

  async close(): Promise<void> {}
}

/** Sends over SMTP with nodemailer (`smtp://` with STARTTLS when offered, `smtps://` for implicit TLS). */
export class SmtpEmailBackend implements EmailBackend {
  readonly name = 'smtp'
  readonly #transport: Transporter

  constructor(url: string) {
    const parsed = new URL(url)
    const secure = parsed.protocol === 'smtps:'
    const options: Record<string, unknown> = {
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
      secure,
      // A stuck server must not hold a worker for ever.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    }
    if (parsed.username) {
      options.auth = {
        user: decodeURIComponent(parsed.username),
        pass: decodeURIComponent(parsed.password),
      }
    }
    for (const [key, value] of parsed.searchParams) {
      if (key === 'requireTLS' || key === 'ignoreTLS') options[key] = value === 'true'
      else if (key === 'rejectUnauthorized') options.tls = { rejectUnauthorized: value !== 'false' }
      else
        throw new ImproperlyConfigured(
          `"email.url" has an unknown option "${key}" (known: requireTLS, ignoreTLS, rejectUnauthorized)`,
        )
    }
    this.#transport = nodemailer().createTransport(options)
  }

  async send(message: OutgoingEmail): Promise<void> {
    try {
      await this.#transport.sendMail(message)
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode
      // RFC 5321 §4.2.1: 5yz replies are permanent failures; 4yz and network errors are worth retrying.
      if (typeof code === 'number' && code >= 500 && code < 600) {
        throw new PermanentEmailError(`SMTP server refused the message (${code})`, { cause: error })
      }
      throw error
    }
  }

  async close(): Promise<void> {
    this.#transport.close()
  }
}

/** The backend `settings.email` names. Throws `ImproperlyConfigured` for a bad SMTP URL option. */
export function createEmailBackend(
  settings: EmailSettings,
  options: { stdout?: NodeJS.WritableStream } = {},
): EmailBackend {
  switch (settings.backend) {
    case 'file':
      return new FileEmailBackend(settings.filePath)
    case 'console':
      return new ConsoleEmailBackend(options.stdout)
    case 'smtp':
      if (settings.url === null)
        throw new ImproperlyConfigured('"email.backend" is smtp but "email.url" is not set')
      return new SmtpEmailBackend(settings.url)
  }
}
