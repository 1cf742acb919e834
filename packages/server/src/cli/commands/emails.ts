import { createEmailBackend } from '../../email/backends.js'
import { EmailQueue, type EmailStatus } from '../../email/queue.js'
import { EmailWorker } from '../../email/worker.js'
import { CommandError, type Command } from '../command.js'
import { openFromEnv } from '../context.js'

const STATUSES: readonly EmailStatus[] = ['pending', 'sending', 'sent', 'failed']

/**
 * `cookiejwt emails list|retry|send`: the outgoing email queue. `list` shows messages (never their bodies: they hold
 * links with tokens), `retry` puts failed ones back in the queue, `send` delivers what is due now and exits.
 */
export const emails: Command = {
  name: 'emails',
  summary: 'see the outgoing email queue, retry failed messages, or send what is due',
  usage:
    'cookiejwt emails list [--status pending|sending|sent|failed] [--limit N] | retry <id> | retry --all | send',
  options: { status: { type: 'string' }, limit: { type: 'string' }, all: { type: 'boolean' } },
  async run(context) {
    const [action, ...rest] = context.positionals
    if (action !== 'list' && action !== 'retry' && action !== 'send') {
      throw new CommandError('give one of: emails list, emails retry <id> | --all, emails send')
    }
    const status = context.values.status as string | undefined
    if (status !== undefined && !STATUSES.includes(status as EmailStatus)) {
      throw new CommandError(`--status must be one of ${STATUSES.join(', ')}`)
    }
    const limitText = (context.values.limit as string | undefined) ?? '50'
    const limit = Number(limitText)
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 10_000)
      throw new CommandError('--limit must be a number from 1 to 10000')
    let id: number | 'failed' = 'failed'
    if (action === 'retry') {
      const all = context.values.all === true
      if (all === rest.length > 0 || rest.length > 1)
        throw new CommandError('give a message id or --all')
      if (!all) {
        if (!/^\d{1,15}$/.test(rest[0] ?? ''))
          throw new CommandError('the message id must be a number (see `cookiejwt emails list`)')
        id = Number(rest[0])
      }
    } else if (rest.length > 0) {
      throw new CommandError(`unexpected argument ${JSON.stringify(rest[0])}`)
    }
    const opened = await openFromEnv(context)
    try {
      const queue = new EmailQueue(opened.handle)
      if (action === 'list') {
        const rows = await queue.list({
          ...(status ? { status: status as EmailStatus } : {}),
          limit,
        })
        if (rows.length === 0) {
          context.stdout.write('No messages.\n')
          return 0
        }
        for (const m of rows) {
          const when =
            m.status === 'sent'
              ? `sent ${m.sentAt?.toISOString()}`
              : m.status === 'failed'
                ? 'failed'
                : `due ${m.nextAttemptAt.toISOString()}`
          const error = m.lastError ? `  last error: ${m.lastError}` : ''
          context.stdout.write(
            `${m.id}\t${m.status}\t${m.template}\t${m.to}\tattempts ${m.attempts}\t${when}${error}\n`,
          )
        }
        return 0
      }
      if (action === 'retry') {
        const count = await queue.retry(id, new Date())
        if (count === 0 && id !== 'failed')
          throw new CommandError(`no failed message with id ${id}`)
        context.stdout.write(
          `Queued ${count} message${count === 1 ? '' : 's'} again; a running server sends ${count === 1 ? 'it' : 'them'} shortly (or run \`cookiejwt emails send\`).\n`,
        )
        return 0
      }
      const settings = opened.config.settings
      let failed = 0
      const worker = new EmailWorker({
        queue,
        backend: createEmailBackend(settings.email, { stdout: context.stdout }),
        settings: settings.email,
        onEvent: (e) => {
          if (e.event === 'email_retry' || e.event === 'email_failed') {
            failed++
            context.stderr.write(
              `message ${e.id} (${e.template}): ${e.error}${e.event === 'email_failed' ? ' — gave up' : ' — will retry'}\n`,
            )
          }
        },
      })
      const sent = await worker.runOnce()
      await worker.stop()
      context.stdout.write(
        `Sent ${sent} message${sent === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}.\n`,
      )
      return failed > 0 ? 1 : 0
    } finally {
      await opened.handle.destroy()
    }
  },
}
