import type { EmailSettings } from '@cookiejwt/core'
import { PermanentEmailError, type EmailBackend } from './backends.js'
import type { EmailQueue } from './queue.js'

/** Longest wait between two attempts at one message. */
export const MAX_EMAIL_RETRY_DELAY_MS = 3_600_000

/** When the next attempt at a message is due, after `attempts` failed ones: `retryDelay` doubled each time. */
export function nextRetryAt(settings: EmailSettings, attempts: number, now: Date): Date | null {
  if (attempts >= settings.maxAttempts) return null
  const delay = Math.min(
    MAX_EMAIL_RETRY_DELAY_MS,
    settings.retryDelay * 1000 * 2 ** Math.max(0, attempts - 1),
  )
  return new Date(now.getTime() + delay)
}

/** What the worker reports; never a message body. */
export type EmailWorkerEvent =
  | { event: 'email_sent'; id: number; template: string; attempts: number }
  | { event: 'email_retry'; id: number; template: string; attempts: number; error: string }
  | { event: 'email_failed'; id: number; template: string; attempts: number; error: string }
  | { event: 'email_worker_error'; error: string }

/** Options of `EmailWorker`. */
export interface EmailWorkerOptions {
  queue: EmailQueue
  backend: EmailBackend
  settings: EmailSettings
  /** Milliseconds between two looks at the queue when nobody kicks the worker. @default 1000 */
  pollInterval?: number
  now?: () => Date
  onEvent?: (event: EmailWorkerEvent) => void
}

/**
 * Delivers the queue in the background of a server process: wakes every `pollInterval` and whenever a message is
 * queued (`kick()`), sends what is due one message at a time, and schedules retries with backoff. Sending never
 * happens inside a request; the request only queues.
 */
export class EmailWorker {
  readonly #o: EmailWorkerOptions
  readonly #now: () => Date
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #again = false
  #stopped = true
  #stopping = false
  #failures = 0

  constructor(options: EmailWorkerOptions) {
    this.#o = options
    this.#now = options.now ?? (() => new Date())
  }

  /** Starts polling; idempotent. */
  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#stopping = false
    this.#schedule(0)
  }

  /** Looks at the queue now (a message was just queued). */
  kick(): void {
    if (this.#stopped) return
    if (this.#running) this.#again = true
    else this.#schedule(0)
  }

  /** Stops polling and waits for the message being sent, if any; closes the backend. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#stopping = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    await this.#running
    await this.#o.backend.close()
  }

  /** Sends everything due now, once; resolves when done (tests and the CLI use it directly). */
  async runOnce(): Promise<number> {
    let sent = 0
    for (;;) {
      // One at a time: a stopping worker leaves nothing claimed behind it.
      const batch = await this.#o.queue.claimDue(this.#now(), 1)
      if (batch.length === 0) return sent
      for (const message of batch) {
        try {
          await this.#o.backend.send(message)
          await this.#o.queue.markSent(message.id, this.#now())
          sent++
          this.#o.onEvent?.({
            event: 'email_sent',
            id: message.id,
            template: message.template,
            attempts: message.attempts,
          })
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error)
          const retryAt =
            error instanceof PermanentEmailError
              ? null
              : nextRetryAt(this.#o.settings, message.attempts, this.#now())
          await this.#o.queue.markAttemptFailed(message.id, reason, retryAt)
          this.#o.onEvent?.({
            event: retryAt ? 'email_retry' : 'email_failed',
            id: message.id,
            template: message.template,
            attempts: message.attempts,
            error: reason,
          })
        }
        if (this.#stopping) return sent
      }
    }
  }

  #schedule(delay: number): void {
    if (this.#stopped) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#tick(), delay)
    // Never keep a process alive just to poll.
    this.#timer.unref()
  }

  #tick(): void {
    this.#timer = null
    this.#running = this.runOnce()
      .then(() => {
        this.#failures = 0
      })
      .catch((error: unknown) => {
        // Database down: one report, then quieter and quieter polling (at most every 30 s) until it is back.
        if (this.#failures === 0) {
          this.#o.onEvent?.({
            event: 'email_worker_error',
            error: error instanceof Error ? error.message : String(error),
          })
        }
        this.#failures++
      })
      .finally(() => {
        this.#running = null
        const again = this.#again
        this.#again = false
        const poll = this.#o.pollInterval ?? 1000
        this.#schedule(again ? 0 : Math.min(30_000, poll * 2 ** Math.min(this.#failures, 10)))
      })
  }
}
