// Accounts in real Chromium (issue 11): sign up → read the email file → verify → log in; forgot password → email →
// reset → the old sessions in other browser contexts are gone. The server runs as `npm start` does, with sign-up
// and mandatory verification turned on and the default file email backend writing .eml files.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  artifact,
  checkPrerequisites,
  launchChromium,
  startApiServer,
  type ApiServer,
} from './harness.js'

const ready = checkPrerequisites()
const WAIT = { timeout: 20_000 }
const PASSWORD = 'Violet-Harbour-Lantern-31'
const NEW_PASSWORD = 'Copper-Meadow-Falcon-58'

describe.skipIf(!ready)('accounts in the browser', () => {
  let api: ApiServer
  let browser: Browser
  let outbox: string

  beforeAll(async () => {
    outbox = await mkdtemp(join(tmpdir(), 'cookiejwt-e2e-mail-'))
    const port = await import('./harness.js').then((h) => h.freePort())
    ;[api, browser] = await Promise.all([
      startApiServer({
        port,
        env: {
          COOKIEJWT_REGISTRATION: 'true',
          COOKIEJWT_EMAIL_VERIFICATION: 'mandatory',
          COOKIEJWT_EMAIL_FILE_PATH: outbox,
          COOKIEJWT_FRONTEND_URL: `http://localhost:${port}`,
        },
      }),
      launchChromium(),
    ])
  })
  afterAll(async () => {
    await Promise.allSettled([browser?.close(), api?.stop()])
    await rm(outbox, { recursive: true, force: true })
  })

  /** The newest message to `to` in the file backend's folder that `accept` likes (waits for the worker). */
  async function mailTo(
    to: string,
    accept: (subject: string) => boolean,
  ): Promise<{ subject: string; text: string }> {
    const deadline = Date.now() + 15_000
    for (;;) {
      const files = (await readdir(outbox))
        .filter((f) => f.endsWith('.eml'))
        .sort()
        .reverse()
      for (const file of files) {
        const mail = await simpleParser(await readFile(join(outbox, file)))
        const address = Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text
        if (address === to && accept(mail.subject ?? ''))
          return { subject: mail.subject ?? '', text: mail.text ?? '' }
      }
      if (Date.now() > deadline)
        throw new Error(`no email to ${to} in ${outbox}: ${files.join(', ')}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  function link(text: string, path: string): string {
    const match = text.match(new RegExp(`${api.url}${path}\\S+`))
    if (!match) throw new Error(`no ${path} link in: ${text}`)
    return match[0]
  }

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(api.url)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password', { exact: true }).fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }

  it('signs up, reads the email, verifies the address and logs in', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(api.url)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.getByRole('heading', { name: 'Create an account' }).waitFor(WAIT)
    // A common password is refused with Django's message, under the field.
    await page.getByLabel('Username').fill('ada')
    await page.getByLabel('Email address').fill('ada@example.com')
    await page.getByLabel('Password', { exact: true }).fill('password123')
    await page.getByLabel('Password (again)').fill('password123')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByText('This password is too common.').waitFor(WAIT)
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByLabel('Password (again)').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('heading', { name: 'Check your email' }).waitFor(WAIT)

    const mail = await mailTo('ada@example.com', (s) => s.startsWith('Confirm your email address'))
    const verify = link(mail.text, '/verify-email/')

    // Before verifying: the right password is answered with "not confirmed", and no session starts.
    await signIn(page, 'ada', PASSWORD)
    await page
      .getByRole('alert')
      .filter({ hasText: 'Your email address is not confirmed yet.' })
      .waitFor(WAIT)
    expect((await context.cookies()).map((c) => c.name)).not.toContain('access_token')

    await page.goto(verify)
    await page.getByRole('heading', { name: 'Email address confirmed' }).waitFor(WAIT)
    await page.screenshot({ path: await artifact('accounts-verified.png') })
    await page.getByRole('link', { name: 'Go to sign in' }).click()
    await signIn(page, 'ada', PASSWORD)
    await page.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
    // The link works once.
    await page.goto(verify)
    await page.getByRole('heading', { name: 'This link did not work' }).waitFor(WAIT)
    await context.close()
  })

  it('resets a forgotten password from the email and ends the sessions of other browsers', async () => {
    const others = await Promise.all([browser.newContext(), browser.newContext()])
    const otherPages = await Promise.all(others.map((c) => c.newPage()))
    for (const page of otherPages) {
      await signIn(page, 'ada', PASSWORD)
      await page.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
    }

    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(api.url)
    await page.getByRole('link', { name: 'Forgot your password?' }).click()
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor(WAIT)
    await page.getByLabel('Email address').fill('ada@example.com')
    await page.getByRole('button', { name: 'Send the link' }).click()
    await page.getByRole('heading', { name: 'Check your email' }).waitFor(WAIT)

    const mail = await mailTo('ada@example.com', (s) => s.startsWith('Password reset'))
    expect(mail.text).toContain('Your username, in case you’ve forgotten: ada')
    const reset = link(mail.text, '/reset-password/')
    await page.goto(reset)
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor(WAIT)
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
    await page.getByLabel('New password (again)').fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Set the new password' }).click()
    await page.getByRole('heading', { name: 'Password changed' }).waitFor(WAIT)
    await page.screenshot({ path: await artifact('accounts-reset.png') })

    // The other browsers were signed in: their sessions are gone, a reload shows the sign-in form.
    for (const other of otherPages) {
      expect(await other.evaluate(async () => (await fetch('/api/auth/me/')).status)).toBe(401)
      expect(
        await other.evaluate(
          async () => (await fetch('/api/auth/refresh/', { method: 'POST' })).status,
        ),
      ).toBe(401)
      await other.reload()
      await other.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
    }

    // The same link again: refused.
    await page.goto(reset)
    await page.getByLabel('New password', { exact: true }).fill('Another-Fresh-Password-7')
    await page.getByLabel('New password (again)').fill('Another-Fresh-Password-7')
    await page.getByRole('button', { name: 'Set the new password' }).click()
    await page
      .getByRole('alert')
      .filter({ hasText: 'This reset link is invalid, was already used, or has expired.' })
      .waitFor(WAIT)

    await signIn(page, 'ada', PASSWORD)
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor(WAIT)
    await signIn(page, 'ada', NEW_PASSWORD)
    await page.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
    await Promise.all([context.close(), ...others.map((c) => c.close())])
  })
})
