export {
  ConsoleEmailBackend,
  FileEmailBackend,
  PermanentEmailError,
  SmtpEmailBackend,
  composeEmail,
  createEmailBackend,
} from './backends.js'
export type { EmailBackend, OutgoingEmail } from './backends.js'
export { EMAIL_LOCK_MS, EmailQueue } from './queue.js'
export type { EmailStatus, EmailSummary, NewEmail, QueuedEmail } from './queue.js'
export { EmailWorker, MAX_EMAIL_RETRY_DELAY_MS, nextRetryAt } from './worker.js'
export type { EmailWorkerEvent, EmailWorkerOptions } from './worker.js'
export { Mailer } from './mailer.js'
export type { Kickable } from './mailer.js'
export {
  DEFAULT_EMAIL_TEMPLATES,
  VARIABLES as EMAIL_TEMPLATE_VARIABLES,
  describeDuration,
  loadEmailTemplates,
  renderEmail,
} from './templates.js'
export type {
  EmailTemplate,
  EmailTemplateName,
  EmailVariables,
  RenderedEmail,
} from './templates.js'
