// Two-factor authentication in real Chromium against the real server (issue 11): enrol TOTP on the security page
// (after the password again; the test computes the codes from the secret the page shows), sign out, sign in with a code, sign in with a
// backup code, and the same backup code refused the second time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { generateTotpCode } from '../../packages/server/src/mfa/totp.js'
import { ADMIN, artifact, checkPrerequisites, launchChromium, startApiServer, type ApiServer } from './harness.js'

const ready = checkPrerequisites()
const WAIT = { timeout: 20_000 }

describe.skipIf(!ready)('two-factor authentication (TOTP) in the browser', () => {
  let api: ApiServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let secret = ''
  let backupCodes: string[] = []

  beforeAll(async () => {
    ;[api, browser] = await Promise.all([
      startApiServer({
        env: {
          COOKIEJWT_MFA_KEYS: 'e2e-mfa-key-'.padEnd(48, 'k'),
          COOKIEJWT_MFA_ISSUER: 'cookiejwt e2e',
          // Re-authentication every time: the enrolment asks for the password first.
          COOKIEJWT_SETTINGS: JSON.stringify({ reauthWindow: 0 }),
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

  /** A code of the time step after the current one: later than any step used so far, inside the ±1 window. */
  const nextCode = () => generateTotpCode(secret, new Date(Date.now() + 30_000))

  async function passwordStep(): Promise<void> {
    await page.goto(api.url)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
    await page.getByLabel('Username').fill(ADMIN.username)
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }

  async function signOut(): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
  }

  it('enrols TOTP: QR code and secret, a first code, ten backup codes shown once', async () => {
    await passwordStep()
    await page.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
    await page.getByRole('link', { name: 'Security' }).click()
    await page.getByRole('heading', { name: 'Security' }).waitFor(WAIT)
    await page.getByText('Off: your password alone signs you in.', { exact: false }).waitFor(WAIT)
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click()
    // Adding a factor needs the password again (reauthWindow 0 here): a wrong one is refused under the field.
    const enrol = page.getByRole('form', { name: 'Set up an authenticator app' })
    await enrol.getByLabel('Your password').fill('not the password')
    await enrol.getByRole('button', { name: 'Continue' }).click()
    await enrol.getByText('Your password was entered incorrectly. Please enter it again.').waitFor(WAIT)
    await enrol.getByLabel('Your password').fill(ADMIN.password)
    await enrol.getByRole('button', { name: 'Continue' }).click()
    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' })
    await qr.waitFor(WAIT)
    expect(await qr.evaluate((el) => el.tagName.toLowerCase())).toBe('svg')
    expect(await qr.locator('path').count()).toBeGreaterThan(0)
    secret = (await page.locator('[data-field="totp-secret"]').innerText()).replace(/\s/g, '')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    await page.screenshot({ path: await artifact('mfa-enrol.png') })

    // A wrong code first: a clear message under the field, still pending.
    await page.getByLabel('Code from the app').fill('000000' === (await nextCode()) ? '111111' : '000000')
    await page.getByRole('button', { name: 'Turn on' }).click()
    await page.getByText('The code is invalid or was already used.').waitFor(WAIT)

    await page.getByLabel('Code from the app').fill(await generateTotpCode(secret, new Date()))
    await page.getByRole('button', { name: 'Turn on' }).click()
    await page.getByRole('heading', { name: 'Your backup codes' }).waitFor(WAIT)
    backupCodes = await page.getByRole('list', { name: 'Backup codes' }).locator('code').allInnerTexts()
    expect(backupCodes).toHaveLength(10)
    for (const code of backupCodes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/)
    await page.getByRole('button', { name: 'I have saved them' }).click()
    await page.getByText('On: signing in asks for a code from your authenticator app. 10 backup codes left.').waitFor(WAIT)
    expect(await page.getByRole('list', { name: 'Backup codes' }).count()).toBe(0)
    await signOut()
  })

  it('a sign-in asks for the code: no session cookie until then, only an HttpOnly mfa cookie', async () => {
    await passwordStep()
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor(WAIT)
    const cookies = await context.cookies()
    expect(cookies.find((c) => c.name === 'access_token')).toBeUndefined()
    expect(cookies.find((c) => c.name === 'refresh_token')).toBeUndefined()
    expect(cookies.find((c) => c.name === 'mfa_token')).toMatchObject({ httpOnly: true, path: '/api/auth/login/mfa/' })
    expect(await page.evaluate(() => document.cookie)).not.toContain('mfa_token')
    // The half-finished sign-in opens nothing else.
    expect(await page.evaluate(async () => (await fetch('/api/auth/me/')).status)).toBe(401)

    await page.getByLabel('Authentication code').fill(await nextCode())
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByRole('heading', { name: 'Hello, admin' }).waitFor(WAIT)
    expect((await context.cookies()).find((c) => c.name === 'mfa_token')).toBeUndefined()
    await signOut()
  })

  it('signs in with a backup code, which is then spent', async () => {
    await passwordStep()
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor(WAIT)
    await page.getByLabel('Authentication code').fill(backupCodes[0]!)
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByRole('heading', { name: 'Hello, admin' }).waitFor(WAIT)
    await page.getByRole('link', { name: 'Security' }).click()
    await page.getByText('9 backup codes left.', { exact: false }).waitFor(WAIT)
    await signOut()
  })

  it('refuses the same backup code the second time, with a message under the field', async () => {
    await passwordStep()
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor(WAIT)
    await page.getByLabel('Authentication code').fill(backupCodes[0]!)
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByText('The code is invalid or was already used.').waitFor(WAIT)
    expect(await page.getByLabel('Authentication code').getAttribute('aria-invalid')).toBe('true')
    expect((await context.cookies()).find((c) => c.name === 'access_token')).toBeUndefined()
    await page.screenshot({ path: await artifact('mfa-backup-code-refused.png') })
    // Another, unused backup code still works from the same step.
    await page.getByLabel('Authentication code').fill(backupCodes[1]!)
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByRole('heading', { name: 'Hello, admin' }).waitFor(WAIT)
  })

  it('turns two-factor authentication off with the password', async () => {
    await page.getByRole('link', { name: 'Security' }).click()
    const off = page.getByRole('region', { name: 'Turn off two-factor authentication' })
    await off.getByLabel('Your password').fill('not the password')
    await off.getByRole('button', { name: 'Turn off' }).click()
    await off.getByText('Your password was entered incorrectly. Please enter it again.').waitFor(WAIT)
    await off.getByLabel('Your password').fill(ADMIN.password)
    await off.getByRole('button', { name: 'Turn off' }).click()
    await page.getByText('Off: your password alone signs you in.', { exact: false }).waitFor(WAIT)
    await signOut()
    await passwordStep()
    await page.getByRole('heading', { name: 'Hello, admin' }).waitFor(WAIT)
  })
})
