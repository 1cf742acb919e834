import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ImproperlyConfigured } from '@cookiejwt/core'

/** The emails cookiejwt sends; an operator's `email.templatesDir` may replace any file of any of them. */
export type EmailTemplateName =
  'verify_email' | 'already_registered' | 'password_reset' | 'password_reset_unknown'

/** The three parts of a template: `<name>.subject.txt`, `<name>.txt` and `<name>.html`. */
export interface EmailTemplate {
  subject: string
  text: string
  html: string
}

/** A rendered message, ready for the queue. */
export interface RenderedEmail {
  subject: string
  text: string
  html: string
}

const wrap = (body: string) =>
  `<!doctype html>\n<html><body style="font-family: sans-serif; line-height: 1.5">\n${body}\n</body></html>\n`

/** The built-in templates. Placeholders are `{{ name }}`; HTML parts get the values HTML-escaped. */
export const DEFAULT_EMAIL_TEMPLATES: Readonly<Record<EmailTemplateName, EmailTemplate>> = {
  verify_email: {
    subject: 'Confirm your email address for {{ site }}',
    text:
      'Hello {{ username }},\n\nPlease confirm that {{ email }} is your email address by opening this link:\n\n' +
      '{{ link }}\n\nThe link works once and expires in {{ expires }}. If you did not sign up at {{ site }}, ' +
      'ignore this email.\n',
    html: wrap(
      '<p>Hello {{ username }},</p>\n<p>Please confirm that {{ email }} is your email address:</p>\n' +
        '<p><a href="{{ link }}">Confirm my email address</a></p>\n' +
        '<p>The link works once and expires in {{ expires }}. If you did not sign up at {{ site }}, ignore this email.</p>',
    ),
  },
  already_registered: {
    subject: 'Sign-up attempt at {{ site }}',
    text:
      'Hello,\n\nSomeone, perhaps you, tried to create an account at {{ site }} with this email address or ' +
      'username, but an account already exists.\n\nIf it was you and you forgot your password, reset it here:\n\n' +
      '{{ link }}\n\nIf it was not you, ignore this email; nothing was changed.\n',
    html: wrap(
      '<p>Hello,</p>\n<p>Someone, perhaps you, tried to create an account at {{ site }} with this email address or ' +
        'username, but an account already exists.</p>\n<p>If you forgot your password, ' +
        '<a href="{{ link }}">reset it here</a>.</p>\n<p>If it was not you, ignore this email; nothing was changed.</p>',
    ),
  },
  password_reset: {
    subject: 'Password reset on {{ site }}',
    text:
      "You're receiving this email because you requested a password reset for your user account at {{ site }}.\n\n" +
      'Please go to the following page and choose a new password:\n\n{{ link }}\n\n' +
      'Your username, in case you’ve forgotten: {{ username }}\n\nThe link works once and expires in {{ expires }}. ' +
      'If you did not ask for a reset, ignore this email.\n',
    html: wrap(
      '<p>You’re receiving this email because you requested a password reset for your user account at {{ site }}.</p>\n' +
        '<p><a href="{{ link }}">Choose a new password</a></p>\n' +
        '<p>Your username, in case you’ve forgotten: {{ username }}</p>\n' +
        '<p>The link works once and expires in {{ expires }}. If you did not ask for a reset, ignore this email.</p>',
    ),
  },
  password_reset_unknown: {
    subject: 'Password reset on {{ site }}',
    text:
      'You are receiving this email because you, or someone else, asked for a password reset at {{ site }} for ' +
      '{{ email }}. There is no account with this email address.\n\nIf it was not you, ignore this email. ' +
      'If it was, you may have signed up with another address.\n',
    html: wrap(
      '<p>You are receiving this email because you, or someone else, asked for a password reset at {{ site }} for ' +
        '{{ email }}. There is no account with this email address.</p>\n' +
        '<p>If it was not you, ignore this email. If it was, you may have signed up with another address.</p>',
    ),
  },
}

const NAMES = Object.keys(DEFAULT_EMAIL_TEMPLATES) as EmailTemplateName[]
const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g

/**
 * Loads the templates once: the built-in ones, each file replaced by the operator's `<dir>/<name>.<part>` when it
 * exists. Throws `ImproperlyConfigured` at start-up when a file names a placeholder the email does not provide.
 */
export function loadEmailTemplates(
  dir: string | null,
): Readonly<Record<EmailTemplateName, EmailTemplate>> {
  const out = {} as Record<EmailTemplateName, EmailTemplate>
  for (const name of NAMES) {
    const base = DEFAULT_EMAIL_TEMPLATES[name]
    const read = (part: keyof EmailTemplate, file: string) => {
      const path = dir === null ? null : join(dir, file)
      if (path === null || !existsSync(path)) return base[part]
      const text = readFileSync(path, 'utf8')
      for (const [, key] of text.matchAll(PLACEHOLDER)) {
        if (!VARIABLES.includes(key as string)) {
          throw new ImproperlyConfigured(
            `email template ${path} uses {{ ${key} }}; known: ${VARIABLES.join(', ')}`,
          )
        }
      }
      return text
    }
    out[name] = {
      subject: read('subject', `${name}.subject.txt`),
      text: read('text', `${name}.txt`),
      html: read('html', `${name}.html`),
    }
  }
  return out
}

/** The placeholders every template may use. */
export const VARIABLES = ['site', 'username', 'email', 'link', 'expires']

/** Values for a template's placeholders. */
export type EmailVariables = Partial<
  Record<'site' | 'username' | 'email' | 'link' | 'expires', string>
>

/** Fills a template in; the subject is one line (line breaks would start new headers), the HTML part is escaped. */
export function renderEmail(template: EmailTemplate, values: EmailVariables): RenderedEmail {
  const fill = (text: string, escape: (s: string) => string) =>
    text.replace(PLACEHOLDER, (_, key: string) => escape(values[key as keyof EmailVariables] ?? ''))
  return {
    subject: fill(template.subject, (s) => s)
      .replace(/[\r\n]+/g, ' ')
      .trim(),
    text: fill(template.text, (s) => s),
    html: fill(template.html, escapeHtml),
  }
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** "3 days", "1 hour", "15 minutes": a lifetime in seconds as a person reads it. */
export function describeDuration(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ]
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size
      return `${n} ${unit}${n === 1 ? '' : 's'}`
    }
  }
  return `${seconds} seconds`
}
