// Issue 10 in real Chromium against the real server and its admin API: an admin deactivates a user who is signed
// in in another browser; that user's very next request fails and their app shows the sign-in page. Run once with
// users read from the database and once with `statelessUser: true` (the user from the token's claims alone),
// where only the session version makes the old access cookie fail. Screenshots of the users table, a user page
// and the audit log go to e2e/artifacts/; UPDATE_README_SCREENSHOT=1 also refreshes docs/images/admin-users.png.
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import {
  ADMIN,
  artifact,
  checkPrerequisites,
  launchChromium,
  REPO,
  startApiServer,
  type ApiServer,
} from './harness.js'

const ready = checkPrerequisites()
const WAIT = { timeout: 20_000 }
const PASSWORD = 'Analytical-Engine-1843'
const PEOPLE = [
  { username: 'ada', email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' },
  {
    username: 'grace',
    email: 'grace@example.com',
    first_name: 'Grace',
    last_name: 'Hopper',
    is_staff: true,
  },
  { username: 'alan', email: 'alan@example.com', first_name: 'Alan', last_name: 'Turing' },
  {
    username: 'margaret',
    email: 'margaret@example.com',
    first_name: 'Margaret',
    last_name: 'Hamilton',
  },
  { username: 'barbara', email: 'barbara@example.com', first_name: 'Barbara', last_name: 'Liskov' },
  {
    username: 'edsger',
    email: 'edsger@example.com',
    first_name: 'Edsger',
    last_name: 'Dijkstra',
    is_active: false,
  },
]

const SET_UPS = [
  { name: 'users from the database', settings: {}, screenshots: true },
  { name: 'statelessUser', settings: { statelessUser: true }, screenshots: false },
]

for (const setUp of SET_UPS) {
  describe.skipIf(!ready)(`admin in the browser (${setUp.name})`, () => {
    let api: ApiServer
    let browser: Browser
    let appUrl: string

    beforeAll(async () => {
      ;[api, browser] = await Promise.all([
        startApiServer({ env: { COOKIEJWT_SETTINGS: JSON.stringify(setUp.settings) } }),
        launchChromium(),
      ])
      appUrl = `http://127.0.0.1:${api.port}`
      // The other people, created through the admin API with a Bearer token (no cookies, so no CSRF).
      const login = await fetch(`${appUrl}/api/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
      })
      expect(login.status).toBe(200)
      const { access } = (await login.json()) as { access: string }
      for (const person of PEOPLE) {
        const res = await fetch(`${appUrl}/api/admin/users/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${access}` },
          body: JSON.stringify({ ...person, password: PASSWORD }),
        })
        expect(res.status, await res.clone().text()).toBe(201)
      }
    })
    afterAll(async () => {
      await Promise.allSettled([browser?.close(), api?.stop()])
    })

    // Every page runs under the server's strict CSP: a refused inline script or style would show here.
    const cspViolations: string[] = []

    async function signIn(
      username: string,
      password: string,
      path = '/',
    ): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
      const page = await context.newPage()
      page.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text())
      })
      await page.goto(appUrl + path)
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
      await page.getByLabel('Username').fill(username)
      await page.getByLabel('Password', { exact: true }).fill(password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      return { context, page }
    }

    it('deactivating a signed-in user ends their session at once: their next request fails and they see the sign-in page', async () => {
      // Ada signs in in her own browser.
      const ada = await signIn('ada', PASSWORD)
      await ada.page.getByRole('heading', { name: 'Hello, Ada Lovelace' }).waitFor(WAIT)
      // She is not staff: no admin link, the admin page says so, and the API refuses her.
      expect(await ada.page.getByRole('link', { name: 'Admin' }).count()).toBe(0)
      await ada.page.goto(`${appUrl}/admin`)
      await ada.page.getByRole('heading', { name: 'Staff only' }).waitFor(WAIT)
      expect(await ada.page.evaluate(async () => (await fetch('/api/admin/users/')).status)).toBe(
        403,
      )
      await ada.page.getByRole('link', { name: 'Back to your profile' }).click()
      await ada.page.getByRole('heading', { name: 'Hello, Ada Lovelace' }).waitFor(WAIT)

      // The admin, in another browser, opens a deep link to the users table, signs in and finds Ada.
      const admin = await signIn(ADMIN.username, ADMIN.password, '/admin')
      const page = admin.page
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor(WAIT)
      await page.getByText('Users: 7 matches').waitFor(WAIT)
      const rows = page.locator('tbody tr')
      expect(await rows.locator('th').allTextContents()).toEqual([
        'ada',
        'admin',
        'alan',
        'barbara',
        'edsger',
        'grace',
        'margaret',
      ])
      if (setUp.screenshots) {
        // The header and the users card, without the create form below it (the README's picture).
        const card = await page.locator('section.card').first().boundingBox()
        const path = await artifact('admin-users.png')
        await page.screenshot({
          path,
          fullPage: true,
          clip: {
            x: 0,
            y: 0,
            width: 1280,
            height: Math.ceil((card?.y ?? 0) + (card?.height ?? 800) + 12),
          },
        })
        await page.screenshot({ path: await artifact('admin-users-full.png'), fullPage: true })
        if (process.env.UPDATE_README_SCREENSHOT === '1') {
          await mkdir(join(REPO, 'docs/images'), { recursive: true })
          await copyFile(path, join(REPO, 'docs/images/admin-users.png'))
        }
      }
      // Filters and ordering go to the server, which answers with what matches.
      await page.getByLabel('Active').selectOption('false')
      await page.getByText('Users: 1 match').waitFor(WAIT)
      expect(await rows.locator('th').allTextContents()).toEqual(['edsger'])
      await page.getByLabel('Active').selectOption('')
      await page.getByText('Users: 7 matches').waitFor(WAIT)
      const joined = page.getByRole('columnheader', { name: /Joined/ })
      await joined.getByRole('button').click()
      await page.waitForURL(/ordering=date_joined/)
      await joined.getByRole('button').click()
      await page.waitForURL(/ordering=-date_joined/)
      await page.waitForFunction(
        (names) =>
          [...document.querySelectorAll('tbody th')].map((th) => th.textContent).join() === names,
        ['edsger', 'barbara', 'margaret', 'alan', 'grace', 'ada', 'admin'].join(),
        WAIT,
      )
      expect(await joined.getAttribute('aria-sort')).toBe('descending')
      await page.getByRole('searchbox', { name: 'Search' }).fill('lovelace')
      await page.keyboard.press('Enter')
      await page.getByText('Users: 1 match').waitFor(WAIT)
      await page.getByRole('link', { name: 'ada', exact: true }).click()

      // Ada's page: her one session is listed.
      await page.getByRole('heading', { name: 'ada', level: 1 }).waitFor(WAIT)
      await page.getByText('1 active session').waitFor(WAIT)
      // Labelled for what it is: this suite's headless Chromium, not "Safari on Linux".
      await page.getByRole('rowheader', { name: 'Headless Chrome on Linux' }).waitFor(WAIT)
      if (setUp.screenshots)
        await page.screenshot({ path: await artifact('admin-user.png'), fullPage: true })

      // Deactivate, confirmed in the dialog.
      await page.getByRole('button', { name: 'Deactivate' }).click()
      const dialog = page.getByRole('dialog', { name: 'Deactivate ada?' })
      await dialog.getByRole('button', { name: 'Deactivate' }).click()
      await page.getByRole('status').filter({ hasText: 'ada is deactivated.' }).waitFor(WAIT)
      await page.getByText('Inactive: this user cannot sign in.').waitFor(WAIT)
      await page.getByText('No active session.').waitFor(WAIT)

      // Ada's next request (saving her profile) is refused at once, although her access cookie has not expired;
      // the refresh is refused too, and her app shows the sign-in page.
      const statuses: string[] = []
      ada.page.on('response', (res) => {
        const path = new URL(res.url()).pathname
        if (path.startsWith('/api/'))
          statuses.push(`${res.request().method()} ${path} ${res.status()}`)
      })
      expect((await ada.context.cookies(appUrl)).some((c) => c.name === 'access_token')).toBe(true)
      await ada.page.getByLabel('First name').fill('Augusta')
      await ada.page.getByRole('button', { name: 'Save profile' }).click()
      await ada.page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
      expect(statuses.slice(0, 2)).toEqual([
        'PATCH /api/auth/me/ 401',
        'POST /api/auth/refresh/ 401',
      ])
      // Nothing of hers succeeds; the sign-in page's public GET /api/auth/features/ is nobody's.
      const hers = statuses.filter((s) => !s.startsWith('GET /api/auth/features/ '))
      expect(hers.some((s) => s.endsWith(' 200'))).toBe(false)
      // And she cannot sign in again.
      await ada.page.getByLabel('Username').fill('ada')
      await ada.page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await ada.page.getByRole('button', { name: 'Sign in' }).click()
      await ada.page
        .getByRole('alert')
        .filter({ hasText: 'Wrong username or password.' })
        .waitFor(WAIT)

      // The audit log shows the change with its old and new value, by the admin, to Ada.
      await page.getByRole('link', { name: 'Audit log of changes to ada' }).click()
      await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor(WAIT)
      const change = page.locator('tbody tr').filter({ hasText: 'is_active: true → false' })
      await change.waitFor(WAIT)
      expect(await change.locator('td').nth(1).textContent()).toBe(`${ADMIN.username} (#1)`)
      expect(await change.locator('td').nth(2).textContent()).toBe('user.update')
      await page.getByText('Audit log: 2 entries').waitFor(WAIT)
      await page.getByRole('link', { name: 'Clear filters' }).click()
      // Unfiltered, it also holds the creation of every other person (the filtered page said 2 entries).
      await page
        .locator('tbody tr')
        .filter({ hasText: 'user.create' })
        .nth(PEOPLE.length - 1)
        .waitFor(WAIT)
      expect(await page.getByText(/^Audit log: \d+ entries$/).textContent()).toBe(
        `Audit log: ${PEOPLE.length + 1} entries`,
      )
      if (setUp.screenshots)
        await page.screenshot({ path: await artifact('admin-audit.png'), fullPage: true })

      // A malformed filter is the server's 400, shown under its field.
      await page.getByLabel('Actor (user id)').fill('ada')
      await page.getByRole('button', { name: 'Filter' }).click()
      await page.locator('.field-error').first().waitFor(WAIT)
      expect(await page.getByLabel('Actor (user id)').getAttribute('aria-invalid')).toBe('true')

      // A user created with the form: the server's password rules answer under the password field.
      await page
        .getByRole('navigation', { name: 'Admin' })
        .getByRole('link', { name: 'Users' })
        .click()
      const form = page.getByRole('region', { name: 'Create a user' })
      await form.getByLabel('Username').fill('linus')
      await form.getByLabel('Password').fill('linus')
      await form.getByRole('button', { name: 'Create user' }).click()
      await form.locator('.field-error').first().waitFor(WAIT)
      expect(await form.getByLabel('Password').getAttribute('aria-invalid')).toBe('true')
      await form.getByLabel('Password').fill(PASSWORD)
      await form.getByRole('button', { name: 'Create user' }).click()
      await page.getByRole('heading', { name: 'linus', level: 1 }).waitFor(WAIT)
      await page.getByRole('status').filter({ hasText: 'User linus created.' }).waitFor(WAIT)

      expect(cspViolations).toEqual([])
      await Promise.all([ada.context.close(), admin.context.close()])
    })

    it('staff who are not superusers see the flags locked and get the server’s refusal for a superuser', async () => {
      const grace = await signIn('grace', PASSWORD, '/admin')
      const page = grace.page
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor(WAIT)
      const form = page.getByRole('region', { name: 'Create a user' })
      expect(await form.getByLabel('Staff (can use this admin)').isDisabled()).toBe(true)
      await form.getByText('Only a superuser can create staff or superusers.').waitFor(WAIT)

      await page.getByRole('link', { name: ADMIN.username, exact: true }).click()
      await page.getByRole('heading', { name: ADMIN.username, level: 1 }).waitFor(WAIT)
      expect(await page.getByLabel('Superuser').isDisabled()).toBe(true)
      await page.getByText('Only a superuser can change these.').waitFor(WAIT)
      await page.getByRole('button', { name: 'Deactivate' }).click()
      await page
        .getByRole('dialog', { name: `Deactivate ${ADMIN.username}?` })
        .getByRole('button', { name: 'Deactivate' })
        .click()
      await page
        .getByRole('alert')
        .filter({ hasText: 'Only a superuser can change a superuser.' })
        .waitFor(WAIT)
      await page.getByText('Active: this user can sign in.').waitFor(WAIT)
      await grace.context.close()
    })
  })
}
