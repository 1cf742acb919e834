import type { AuthSettings } from '@cookiejwt/core'
import type { EmailQueue } from './queue.js'
import {
  loadEmailTemplates,
  renderEmail,
  type EmailTemplate,
  type EmailTemplateName,
  type EmailVariables,
} from './templates.js'

/** Something to wake when a message was queued (the in-process `EmailWorker`). */
export interface Kickable {
  kick(): void
}

/**
 * Renders a template and queues the message; delivery happens later, in the worker. `send` resolves once the
 * message is stored, so the request that caused it never waits for (or fails with) the mail server.
 */
export class Mailer {
  readonly #queue: EmailQueue
  readonly #settings: AuthSettings
  readonly #templates: Readonly<Record<EmailTemplateName, EmailTemplate>>
  readonly #worker: Kickable | null
  readonly #site: string

  /** Loads the templates now: a broken operator template is a start-up error. */
  constructor(options: { queue: EmailQueue; settings: AuthSettings; worker?: Kickable | null }) {
    this.#queue = options.queue
    this.#settings = options.settings
    this.#templates = loadEmailTemplates(options.settings.email.templatesDir)
    this.#worker = options.worker ?? null
    this.#site = siteName(options.settings)
  }

  /** The front end's base URL for links, or null when `frontendUrl` is not set (then no link can be sent). */
  get frontendUrl(): string | null {
    return this.#settings.frontendUrl
  }

  /** Queues `template` for `to`; `site` is filled in from `frontendUrl`. Returns the queued message's id. */
  async send(
    template: EmailTemplateName,
    to: string,
    values: EmailVariables,
    now: Date,
  ): Promise<number> {
    const rendered = renderEmail(this.#templates[template], { site: this.#site, ...values })
    const id = await this.#queue.enqueue(
      { ...rendered, template, to, from: this.#settings.email.from },
      now,
    )
    this.#worker?.kick()
    return id
  }
}

function siteName(settings: AuthSettings): string {
  return settings.frontendUrl === null ? 'cookiejwt' : new URL(settings.frontendUrl).host
}
