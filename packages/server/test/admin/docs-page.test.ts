import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

describe('the API reference page in a real browser', { timeout: 60_000 }, () => {
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is needed at ${CHROMIUM} (apt-get install -y chromium)`)
    server = await startTestServer()
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    })
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('renders every route from /api/schema/ with no Content-Security-Policy violation', async () => {
    const page = await browser.newPage()
    const violations: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text())
    })
    // Runs in the page: report every CSP violation on the console.
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
      console.error('Refused to load (CSP ' + event.violatedDirective + '): ' + event.blockedURI)
    })`)
    const response = await page.goto(`${server.url}/api/docs/`)
    expect(response?.status()).toBe(200)
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 })
    expect(await page.textContent('.swagger-ui .info .title')).toContain('cookiejwt')
    // The admin operations are listed, as every other route.
    await page.waitForSelector('.opblock-tag[data-tag="admin"]')
    expect(await page.locator('.opblock').count()).toBeGreaterThan(30)
    expect(violations).toEqual([])
    await page.close()
  })
})
