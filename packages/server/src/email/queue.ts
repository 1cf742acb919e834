import type { DatabaseHandle } from '../storage/db.js'
import { guard } from '../storage/errors.js'
import type { OutgoingEmail } from './backends.js'

/** Where a queued message is: waiting (maybe for a retry), being sent, delivered, or given up on. */
export type EmailStatus = 'pending' | 'sending' | 'sent' | 'failed'

/** A message in the queue. Bodies are empty once it was sent. */
export interface QueuedEmail extends OutgoingEmail {
  id: number
  template: string
  status: EmailStatus
  attempts: number
  createdAt: Date
  nextAttemptAt: Date
  sentAt: Date | null
  lastError: string | null
}

/** What the queue shows an operator: no bodies (they hold links with tokens). */
export type EmailSummary = Omit<QueuedEmail, 'text' | 'html'>

/** A message to queue. */
export interface NewEmail extends OutgoingEmail {
  template: string
}

/** How long a claimed message stays locked to one worker; after that another worker may take it over. */
export const EMAIL_LOCK_MS = 120_000

/**
 * The outgoing email queue in the `cookiejwt_email` table, shared by every process on the same database. Claiming
 * is one conditional UPDATE per message, so two workers never send the same message at once; a worker that dies
 * mid-send leaves a lock that expires, and the message is tried again (delivery is at least once).
 */
export class EmailQueue {
  readonly #h: DatabaseHandle

  constructor(handle: DatabaseHandle) {
    this.#h = handle
  }

  /** Queues a message for delivery now; returns its id. */
  enqueue(message: NewEmail, now: Date): Promise<number> {
    const ms = now.getTime()
    return guard(async () => {
      const row = await this.#h.db
        .insertInto('cookiejwt_email')
        .values({
          created_at: ms,
          to_address: message.to,
          from_address: message.from,
          subject: message.subject,
          template: message.template,
          text_body: message.text,
          html_body: message.html,
          status: 'pending',
          attempts: 0,
          next_attempt_at: ms,
          locked_until: null,
          sent_at: null,
          last_error: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      return Number(row.id)
    })
  }

  /** Claims up to `limit` messages that are due (or whose worker died), counting an attempt for each. */
  claimDue(now: Date, limit = 10): Promise<QueuedEmail[]> {
    const ms = now.getTime()
    return guard(async () => {
      const db = this.#h.db
      const candidates = await db
        .selectFrom('cookiejwt_email')
        .select('id')
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', ms)]),
            eb.and([eb('status', '=', 'sending'), eb('locked_until', '<=', ms)]),
          ]),
        )
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit)
        .execute()
      const claimed: QueuedEmail[] = []
      for (const { id } of candidates) {
        const result = await db
          .updateTable('cookiejwt_email')
          .set((eb) => ({
            status: 'sending',
            locked_until: ms + EMAIL_LOCK_MS,
            attempts: eb('attempts', '+', 1),
          }))
          .where('id', '=', id)
          .where((eb) =>
            eb.or([
              eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', ms)]),
              eb.and([eb('status', '=', 'sending'), eb('locked_until', '<=', ms)]),
            ]),
          )
          .executeTakeFirst()
        if (Number(result.numUpdatedRows) !== 1) continue
        const row = await db
          .selectFrom('cookiejwt_email')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirst()
        if (row) claimed.push(toQueued(row))
      }
      return claimed
    })
  }

  /** Records a delivery and empties the bodies. */
  markSent(id: number, now: Date): Promise<void> {
    return guard(async () => {
      await this.#h.db
        .updateTable('cookiejwt_email')
        .set({
          status: 'sent',
          sent_at: now.getTime(),
          locked_until: null,
          text_body: '',
          html_body: '',
          last_error: null,
        })
        .where('id', '=', id)
        .execute()
    })
  }

  /** Records a failed attempt: a retry at `retryAt`, or `failed` when `retryAt` is null. */
  markAttemptFailed(id: number, error: string, retryAt: Date | null): Promise<void> {
    return guard(async () => {
      await this.#h.db
        .updateTable('cookiejwt_email')
        .set({
          status: retryAt === null ? 'failed' : 'pending',
          ...(retryAt === null ? {} : { next_attempt_at: retryAt.getTime() }),
          locked_until: null,
          last_error: error.slice(0, 1000),
        })
        .where('id', '=', id)
        .execute()
    })
  }

  /** The newest messages, optionally of one status; never their bodies. */
  list(options: { status?: EmailStatus; limit?: number } = {}): Promise<EmailSummary[]> {
    return guard(async () => {
      let query = this.#h.db
        .selectFrom('cookiejwt_email')
        .select([
          'id',
          'created_at',
          'to_address',
          'from_address',
          'subject',
          'template',
          'status',
          'attempts',
          'next_attempt_at',
          'sent_at',
          'last_error',
        ])
        .orderBy('id', 'desc')
        .limit(options.limit ?? 50)
      if (options.status) query = query.where('status', '=', options.status)
      const rows = await query.execute()
      return rows.map((row) => {
        const {
          text: _t,
          html: _h,
          ...summary
        } = toQueued({ ...row, text_body: '', html_body: '', locked_until: null })
        return summary
      })
    })
  }

  /** Puts failed messages (one id, or all) back in the queue with a fresh count of attempts; returns how many. */
  retry(target: number | 'failed', now: Date): Promise<number> {
    return guard(async () => {
      let query = this.#h.db
        .updateTable('cookiejwt_email')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now.getTime(), locked_until: null })
        .where('status', '=', 'failed')
      if (target !== 'failed') query = query.where('id', '=', target)
      const result = await query.executeTakeFirst()
      return Number(result.numUpdatedRows)
    })
  }
}

type Row = {
  id: number
  created_at: number | string
  to_address: string
  from_address: string
  subject: string
  template: string
  text_body: string
  html_body: string
  status: EmailStatus
  attempts: number
  next_attempt_at: number | string
  locked_until: number | string | null
  sent_at: number | string | null
  last_error: string | null
}

function toQueued(row: Row): QueuedEmail {
  return {
    id: Number(row.id),
    from: row.from_address,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    template: row.template,
    status: row.status,
    attempts: Number(row.attempts),
    createdAt: new Date(Number(row.created_at)),
    nextAttemptAt: new Date(Number(row.next_attempt_at)),
    sentAt: row.sent_at === null ? null : new Date(Number(row.sent_at)),
    lastError: row.last_error,
  }
}
