import { rm } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildWebFor,
  checkPrerequisites,
  freePort,
  launchChromium,
  startStaticServer,
} from './harness.js'

// The app pointed at an API that is not running: every failure is a clear message, never a blank page.
describe.skipIf(!checkPrerequisites({ server: false }))('the app without a reachable API', () => {
  let browser: Browser
  let app: { url: string; stop(): Promise<void> }
  let dist: string

  beforeAll(async () => {
    const deadPort = await freePort()
    ;[dist, browser] = await Promise.all([
      buildWebFor(`http://localhost:${deadPort}`),
      launchChromium(),
    ])
    app = await startStaticServer(dist)
  })
  afterAll(async () => {
    await Promise.allSettled([browser?.close(), app?.stop()])
    if (dist) await rm(dist, { recursive: true, force: true })
  })

  it('shows the sign-in form with a network error message, and again on submit', async () => {
    const page = await browser.newPage()
    await page.goto(app.url)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 10_000 })
    const message = 'Cannot reach the server. Check your connection and try again.'
    await page.getByRole('alert').filter({ hasText: message }).first().waitFor({ timeout: 10_000 })

    // Keyboard: the heading takes focus on load, and Tab goes on to the username field.
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('username')
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password', { exact: true }).fill('whatever')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page
      .locator('form')
      .getByRole('alert')
      .filter({ hasText: message })
      .waitFor({ timeout: 10_000 })
    expect(await page.getByRole('button', { name: 'Sign in' }).isEnabled()).toBe(true)
    await page.close()
  })
})
