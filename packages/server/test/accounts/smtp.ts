/**
 * A real SMTP server on loopback for the email tests (the `smtp-server` package): it records every message it
 * accepts, parsed with `mailparser`, and can answer chosen deliveries with a temporary or permanent error.
 */
import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/** A running test SMTP server. */
export interface TestSmtpServer {
  /** `smtp://user:secret@127.0.0.1:<port>`. */
  readonly url: string
  readonly messages: ParsedMail[]
  /** Raw RFC 5322 text of each accepted message. */
  readonly raw: string[]
  /** How many DATA commands were seen, accepted or not. */
  attempts(): number
  /** Resolves when `count` messages were accepted. */
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>
  close(): Promise<void>
}

/** `respond(n)` answers the n-th delivery (1-based): null accepts, a number refuses with that SMTP code. */
export async function startSmtpServer(
  options: { respond?: (attempt: number) => number | null } = {},
): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = []
  const raw: string[] = []
  let attempts = 0
  const waiters: (() => void)[] = []
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: false,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'user' && auth.password === 'secret') callback(null, { user: 'user' })
      else callback(new Error('Invalid username or password'))
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        attempts++
        const code = options.respond?.(attempts) ?? null
        if (code !== null) {
          const error = new Error(
            code >= 500 ? 'Mailbox unavailable' : 'Try again later',
          ) as Error & { responseCode: number }
          error.responseCode = code
          callback(error)
          return
        }
        const text = Buffer.concat(chunks).toString('utf8')
        simpleParser(text)
          .then((parsed) => {
            raw.push(text)
            messages.push(parsed)
            for (const w of waiters.splice(0)) w()
            callback()
          })
          .catch((e: Error) => callback(e))
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.server.address() as AddressInfo).port
  return {
    url: `smtp://user:secret@127.0.0.1:${port}`,
    messages,
    raw,
    attempts: () => attempts,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (messages.length < count) {
        if (Date.now() > deadline)
          throw new Error(
            `SMTP server got ${messages.length} of ${count} messages in ${timeoutMs} ms`,
          )
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 100)
        })
      }
      return messages.slice(0, count)
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
