// Mandatory two-factor authentication (mfa.required, ASVS 5.0 §6.3.3) in real Chromium against the real server
// started with COOKIEJWT_MFA_REQUIRED=staff: the superuser's first sign-in leads to the enrolment page, not into the
// app; the enrolment's first code finishes the sign-in after the backup codes were shown; the next sign-in asks for a
// code; the security page cannot turn the required factor off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { generateTotpCode } from '../../packages/server/src/mfa/totp.js'
import { ADMIN, artifact, checkPrerequisites, launchChromium, startApiServer, type ApiServer } from './harness.js'

const ready = checkPrerequisites()
const WAIT = { timeout: 20_000 }

describe.skipIf(!ready)('mandatory two-factor authentication in the browser', () => {
  let api: ApiServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let secret = ''

  beforeAll(async () => {
    ;[api, browser] = await Promise.all([
      startApiServer({
        env: {
          COOKIEJWT_MFA_KEYS: 'e2e-required-mfa-key-'.padEnd(48, 'k'),
          COOKIEJWT_MFA_REQUIRED: 'staff',
        },
      }),
      launchChromium(),
    ])
    context = await browser.newContext()
    page = await context.newPage()
  })
  afterAll(async () => {
    await Promise.allSettled([browser?.close(), api?.stop()])
  })

  async function passwordStep(): Promise<void> {
    await page.goto(api.url)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
    await page.getByLabel('Username').fill(ADMIN.username)
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }

  it('leads a staff member without TOTP from the sign-in to the enrolment, and signs in only after it', async () => {
    const login = page.waitForResponse((res) => res.url().endsWith('/api/auth/login/'))
    await passwordStep()
    const answer = await login
    expect(answer.status()).toBe(403)
    expect((await answer.json()).code).toBe('mfa_enrollment_required')
    await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor(WAIT)
    // No session yet: only the HttpOnly enrolment cookie, which opens nothing else.
    const cookies = await context.cookies()
    expect(cookies.find((c) => c.name === 'access_token')).toBeUndefined()
    expect(cookies.find((c) => c.name === 'mfa_token')).toMatchObject({ httpOnly: true, path: '/api/auth/login/mfa/' })
    expect(await page.evaluate(async () => (await fetch('/api/auth/me/')).status)).toBe(401)

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click()
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor(WAIT)
    secret = (await page.locator('[data-field="totp-secret"]').innerText()).replace(/\s/g, '')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    await page.screenshot({ path: await artifact('mfa-required-enrol.png') })
    const now = await generateTotpCode(secret, new Date())
    await page.getByLabel('Code from the app').fill(now === '000000' ? '111111' : '000000')
    await page.getByRole('button', { name: 'Turn on and sign in' }).click()
    await page.getByText('The code is invalid or was already used.').waitFor(WAIT)
    await page.getByLabel('Code from the app').fill(await generateTotpCode(secret, new Date()))
    await page.getByRole('button', { name: 'Turn on and sign in' }).click()
    await page.getByRole('heading', { name: 'Your backup codes' }).waitFor(WAIT)
    expect(await page.getByRole('list', { name: 'Backup codes' }).locator('code').count()).toBe(10)
    // The codes are shown before the app moves on; the session cookies are already set.
    expect(await page.getByRole('heading', { name: /^Hello, / }).count()).toBe(0)
    expect((await context.cookies()).find((c) => c.name === 'access_token')).toBeDefined()
    await page.getByRole('button', { name: 'I have saved them' }).click()
    await page.getByRole('heading', { name: 'Hello, admin' }).waitFor(WAIT)
    expect((await context.cookies()).find((c) => c.name === 'mfa_token')).toBeUndefined()
  })

  it('cannot turn the required factor off; the next sign-in asks for a code', async () => {
    await page.getByRole('link', { name: 'Security' }).click()
    const off = page.getByRole('region', { name: 'Turn off two-factor authentication' })
    await off.getByLabel('Your password').fill(ADMIN.password)
    await off.getByRole('button', { name: 'Turn off' }).click()
    await off
      .getByText('Two-factor authentication is required for this account and cannot be turned off.')
      .waitFor(WAIT)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await passwordStep()
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor(WAIT)
    await page.getByLabel('Authentication code').fill(await generateTotpCode(secret, new Date(Date.now() + 30_000)))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByRole('heading', { name: 'Hello, admin' }).waitFor(WAIT)
  })
})
