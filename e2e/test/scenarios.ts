// The browser scenarios of issue 3, registered once per set-up (same origin, split origins).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page, Response as PageResponse } from 'playwright-core'
import {
  ADMIN,
  artifact,
  checkPrerequisites,
  launchChromium,
  startStaticServer,
  REPO,
} from './harness.js'
import { join } from 'node:path'

/** Where the app and the API of one set-up live, and how to tear them down. */
export interface SetUp {
  /** Origin that serves the single-page app. */
  appUrl: string
  /** Origin of the API. */
  apiUrl: string
  stop(): Promise<void>
}

const ready = checkPrerequisites()
// Generous: password hashing and a loaded 2-core CI machine can stretch a step to several seconds.
const WAIT = { timeout: 20_000 }

/** Registers every scenario for a set-up; `start` runs once before them (servers, builds). */
export function describeSetUp(
  name: string,
  { accessLifetime, throttleAfter }: { accessLifetime: number; throttleAfter?: number },
  start: () => Promise<SetUp>,
): void {
  describe.skipIf(!ready)(`${name} set-up`, () => {
    let setUp: SetUp
    let browser: Browser
    let evil: { url: string; stop(): Promise<void> }

    beforeAll(async () => {
      ;[setUp, browser, evil] = await Promise.all([
        start(),
        launchChromium(),
        // A page on another port of the same site: not in the allowed origins.
        startStaticServer(join(REPO, 'e2e/test/hostile')),
      ])
    })
    afterAll(async () => {
      await Promise.allSettled([browser?.close(), setUp?.stop(), evil?.stop()])
    })

    async function signIn(page: Page, password = ADMIN.password): Promise<void> {
      await page.goto(setUp.appUrl)
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
      await page.getByLabel('Username').fill(ADMIN.username)
      await page.getByLabel('Password', { exact: true }).fill(password)
      await page.getByRole('button', { name: 'Sign in' }).click()
    }

    async function newSignedInContext(): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext()
      const page = await context.newPage()
      await signIn(page)
      await page.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
      return { context, page }
    }

    function watchRefreshes(page: Page): number[] {
      const statuses: number[] = []
      page.on('response', (res: PageResponse) => {
        if (res.url().endsWith('/api/auth/refresh/')) statuses.push(res.status())
      })
      return statuses
    }

    it('offers no sign-up while the server has it off: no link, and /signup says it is closed', async () => {
      const context = await browser.newContext()
      const page = await context.newPage()
      const features = page.waitForResponse((res) => res.url().endsWith('/api/auth/features/'))
      await page.goto(setUp.appUrl)
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
      const answer = await features
      expect([answer.status(), await answer.json()]).toEqual([200, { registration: false }])
      // Two frames after the answer React has rendered what it decided.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
      await page.getByRole('link', { name: 'Forgot your password?' }).waitFor(WAIT)
      expect(await page.getByRole('link', { name: 'Create an account' }).count()).toBe(0)
      await page.goto(`${setUp.appUrl}/signup`)
      await page.getByRole('heading', { name: 'Sign-up is closed' }).waitFor(WAIT)
      expect(await page.getByRole('button', { name: 'Create account' }).count()).toBe(0)
      await context.close()
    })

    it('shows a clear message for a wrong password', async () => {
      const context = await browser.newContext()
      const page = await context.newPage()
      await signIn(page, 'not-the-password')
      const alert = page.getByRole('alert').filter({ hasText: 'Wrong username or password.' })
      await alert.waitFor(WAIT)
      expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('')
      await context.close()
    })

    // Only the set-ups started with a low throttle limit declare this test (no skipped test in the others).
    if (throttleAfter !== undefined) it(
      'says how long to wait when login is throttled',
      async () => {
        const context = await browser.newContext()
        const page = await context.newPage()
        await page.goto(setUp.appUrl)
        await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
        const seen: string[] = []
        for (let attempt = 0; attempt <= (throttleAfter ?? 0); attempt++) {
          await page.getByLabel('Username').fill('mallory')
          await page.getByLabel('Password', { exact: true }).fill(`guess-${attempt}`)
          const answer = page.waitForResponse((res) => res.url().endsWith('/api/auth/login/'))
          await page.getByRole('button', { name: 'Sign in' }).click()
          const res = await answer
          const alert = page.locator('form').getByRole('alert')
          await alert.filter({ hasText: /./ }).waitFor(WAIT)
          seen.push(`${res.status()} ${await alert.textContent()}`)
          if (res.status() === 429) break
        }
        expect(seen[0]).toBe('401 Wrong username or password.')
        expect(seen.at(-1)).toMatch(
          /^429 Too many attempts\. Try again in \d+ (seconds?|minutes)\.$/,
        )
        await context.close()
      },
    )

    it('logs in through the form; page JavaScript sees no JWT cookie, yet the profile loads', async () => {
      const context = await browser.newContext({ viewport: { width: 1024, height: 720 } })
      const page = await context.newPage()
      const cspViolations: string[] = []
      page.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text())
      })
      await page.goto(setUp.appUrl)
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
      await page.screenshot({ path: await artifact(`login-${name}.png`), fullPage: true })

      await page.getByLabel('Username').fill(ADMIN.username)
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password)
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
      expect(await page.locator('[data-field="username"]').textContent()).toBe(ADMIN.username)
      expect(await page.locator('[data-field="email"]').textContent()).toBe(ADMIN.email)

      const visible = await page.evaluate(() => document.cookie)
      expect(visible).toMatch(/(^|; )csrftoken=/)
      expect(visible).not.toContain('access_token')
      expect(visible).not.toContain('refresh_token')
      const jar = await context.cookies(setUp.apiUrl + '/api/auth/')
      expect(jar.find((c) => c.name === 'access_token')).toMatchObject({
        httpOnly: true,
        sameSite: 'Lax',
      })
      expect(jar.find((c) => c.name === 'refresh_token')).toMatchObject({
        httpOnly: true,
        path: '/api/auth/',
      })

      // A new page in the same browser is signed in by the cookies alone.
      const second = await context.newPage()
      await second.goto(setUp.appUrl)
      await second.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
      await page.screenshot({ path: await artifact(`profile-${name}.png`), fullPage: true })
      // The app runs under the server's strict CSP: no inline script or style was refused.
      expect(cspViolations).toEqual([])
      await context.close()
    })

    it('edits the profile with a CSRF-protected PATCH and shows field errors', async () => {
      const { context, page } = await newSignedInContext()
      const patches: { status: number; csrf: string | undefined }[] = []
      page.on('response', (res) => {
        if (res.request().method() === 'PATCH')
          patches.push({ status: res.status(), csrf: res.request().headers()['x-csrftoken'] })
      })
      await page.getByLabel('Email').fill('not an email')
      await page.getByRole('button', { name: 'Save profile' }).click()
      await page.locator('.field-error').first().waitFor(WAIT)
      expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true')

      await page.getByLabel('Email').fill('ada@example.org')
      await page.getByLabel('First name').fill('Ada')
      await page.getByLabel('Last name').fill('Lovelace')
      await page.getByRole('button', { name: 'Save profile' }).click()
      await page.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor(WAIT)
      await page.getByRole('heading', { name: 'Hello, Ada Lovelace' }).waitFor(WAIT)
      expect(patches.map((p) => p.status)).toEqual([400, 200])
      expect(patches[1]?.csrf).toBeTruthy()

      await page.reload()
      await page.getByRole('heading', { name: 'Hello, Ada Lovelace' }).waitFor(WAIT)
      expect(await page.locator('[data-field="email"]').textContent()).toBe('ada@example.org')
      await context.close()
    })

    it('heals an expired access cookie with a refresh the user does not notice', async () => {
      const { context, page } = await newSignedInContext()
      const openRefreshes = watchRefreshes(page)
      // Kept open past the lifetime: silent refresh keeps the session, and a save just works.
      await page.waitForTimeout(accessLifetime * 1000 + 1000)
      await page.getByLabel('First name').fill('Augusta')
      await page.getByRole('button', { name: 'Save profile' }).click()
      await page.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor(WAIT)
      expect(openRefreshes.length).toBeGreaterThan(0)
      expect(openRefreshes.every((s) => s === 200)).toBe(true)

      // Closed while the access cookie expires: the next visit gets a 401, refreshes and retries.
      await page.close()
      await new Promise((r) => setTimeout(r, accessLifetime * 1000 + 1200))
      expect((await context.cookies(setUp.apiUrl)).some((c) => c.name === 'access_token')).toBe(
        false,
      )
      const later = await context.newPage()
      const refreshes = watchRefreshes(later)
      const meStatuses: number[] = []
      const trace: string[] = []
      later.on('response', (res) => {
        trace.push(`${res.request().method()} ${res.url()} ${res.status()}`)
        if (res.url().endsWith('/api/auth/me/') && res.request().method() === 'GET')
          meStatuses.push(res.status())
      })
      await later.goto(setUp.appUrl)
      await later.getByRole('heading', { name: /^Hello, Augusta/ }).waitFor(WAIT)
      // Concurrent 401s (if any) share the one refresh, then every request is retried once.
      expect(meStatuses[0], trace.join('\n')).toBe(401)
      expect(meStatuses.at(-1), trace.join('\n')).toBe(200)
      expect(refreshes, trace.join('\n')).toEqual([200])
      expect(await later.getByRole('heading', { name: 'Sign in' }).count()).toBe(0)
      expect(await later.getByRole('alert').filter({ hasText: /./ }).count()).toBe(0)
      await context.close()
    })

    it('keeps two tabs signed in when both refresh at once', async () => {
      const { context, page: tab1 } = await newSignedInContext()
      const tab2 = await context.newPage()
      await tab2.goto(setUp.appUrl)
      await tab2.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
      // http://localhost is a secure context: the client's Web Lock is really there.
      expect(await tab1.evaluate(() => typeof navigator.locks?.request)).toBe('function')
      const statuses = [...[tab1, tab2].map(watchRefreshes)]
      for (let round = 0; round < 2; round++) {
        await context.clearCookies({ name: 'access_token' })
        await Promise.all([tab1.reload(), tab2.reload()])
        await Promise.all(
          [tab1, tab2].map((tab) => tab.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)),
        )
      }
      const all = statuses.flat()
      expect(all.length).toBeGreaterThan(0)
      expect(all.filter((s) => s !== 200)).toEqual([])
      // Both tabs also act after the refreshes: the rotated refresh token still works.
      await context.clearCookies({ name: 'access_token' })
      await tab2.getByLabel('Last name').fill('Byron')
      await tab2.getByRole('button', { name: 'Save profile' }).click()
      await tab2.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor(WAIT)
      await context.close()
    })

    it('logs out every tab when one tab logs out', async () => {
      const { context, page: tab1 } = await newSignedInContext()
      const tab2 = await context.newPage()
      await tab2.goto(setUp.appUrl)
      await tab2.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
      await tab1.getByRole('button', { name: 'Sign out' }).click()
      await tab1.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
      await tab2.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
      const jar = await context.cookies(setUp.apiUrl + '/api/auth/')
      expect(jar.filter((c) => c.name === 'access_token' || c.name === 'refresh_token')).toEqual([])
      await tab2.reload()
      await tab2.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
      await context.close()
    })

    it('does not let a page from a non-allowed origin read the user or change anything', async () => {
      const { context, page } = await newSignedInContext()
      const before = await page.getByRole('heading', { name: /^Hello, / }).textContent()
      const hostile = await context.newPage()
      // Same host as the app, another port: same site (so SameSite=Lax cookies do flow), not allowed.
      const evilUrl = new URL(evil.url)
      evilUrl.hostname = new URL(setUp.appUrl).hostname
      await hostile.goto(evilUrl.href)
      const api = setUp.apiUrl
      const outcome = await hostile.evaluate(
        async ({ apiUrl, password }) => {
          const attempt = async (fn: () => Promise<Response>) => {
            try {
              const res = await fn()
              return res.type === 'opaque' ? 'opaque' : `read ${res.status}: ${await res.text()}`
            } catch {
              return 'blocked'
            }
          }
          const csrf = /(?:^|; )csrftoken=([^;]+)/.exec(document.cookie)?.[1] ?? ''
          return {
            read: await attempt(() => fetch(`${apiUrl}/api/auth/me/`, { credentials: 'include' })),
            // no-cors allows only GET, HEAD and POST: the browser refuses a PATCH outright.
            patchSimple: await attempt(() =>
              fetch(`${apiUrl}/api/auth/me/`, {
                method: 'PATCH',
                mode: 'no-cors',
                credentials: 'include',
                headers: { 'Content-Type': 'text/plain' },
                body: JSON.stringify({ first_name: 'Mallory' }),
              }),
            ),
            // A "simple" POST the browser sends without a preflight; the response stays opaque.
            passwordSimple: await attempt(() =>
              fetch(`${apiUrl}/api/auth/password/change/`, {
                method: 'POST',
                mode: 'no-cors',
                credentials: 'include',
                headers: { 'Content-Type': 'text/plain' },
                // Even with the right old password (as if the attacker knew it), nothing changes.
                body: JSON.stringify({
                  old_password: password,
                  new_password: 'Mallory-owns-this-1',
                }),
              }),
            ),
            // Same site, so the CSRF cookie is readable here; the custom header forces a preflight that fails.
            patchWithToken: await attempt(() =>
              fetch(`${apiUrl}/api/auth/me/`, {
                method: 'PATCH',
                credentials: 'include',
                headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
                body: JSON.stringify({ first_name: 'Mallory' }),
              }),
            ),
            logout: await attempt(() =>
              fetch(`${apiUrl}/api/auth/logout/`, {
                method: 'POST',
                mode: 'no-cors',
                credentials: 'include',
              }),
            ),
          }
        },
        { apiUrl: api, password: ADMIN.password },
      )
      expect(outcome).toEqual({
        read: 'blocked',
        patchSimple: 'blocked',
        passwordSimple: 'opaque',
        patchWithToken: 'blocked',
        logout: 'opaque',
      })
      // Nothing changed: still signed in (logout refused), same name, same password.
      await page.reload()
      const heading = page.getByRole('heading', { name: /^Hello, / })
      await heading.waitFor(WAIT)
      expect(await heading.textContent()).toBe(before)
      expect(await page.content()).not.toContain('Mallory')
      const check = await browser.newContext()
      const fresh = await check.newPage()
      await signIn(fresh)
      await fresh.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
      await Promise.all([check.close(), context.close()])
    })

    // Last: it changes the password the other scenarios sign in with.
    it('changes the password, keeps this browser signed in, and the new password works', async () => {
      const { context, page } = await newSignedInContext()
      const form = page
        .locator('form')
        .filter({ has: page.getByRole('button', { name: 'Change password' }) })
      const newPassword = 'Another-Strong-Pass-77'
      await form.getByLabel('Current password').fill('wrong-old-password')
      await form.getByLabel('New password', { exact: true }).fill(newPassword)
      await form.getByLabel('Confirm new password').fill('something else')
      await form.getByRole('button', { name: 'Change password' }).click()
      await form.getByText('The two passwords do not match.').waitFor(WAIT)

      await form.getByLabel('Confirm new password').fill(newPassword)
      await form.getByRole('button', { name: 'Change password' }).click()
      await form
        .locator('.field-error')
        .filter({ hasText: /old password/i })
        .waitFor(WAIT)

      await form.getByLabel('Current password').fill(ADMIN.password)
      await form.getByRole('button', { name: 'Change password' }).click()
      await form.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor(WAIT)
      await page.reload()
      await page.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)

      await page.getByRole('button', { name: 'Sign out' }).click()
      await signIn(page, ADMIN.password)
      await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor(WAIT)
      await signIn(page, newPassword)
      await page.getByRole('heading', { name: /^Hello, / }).waitFor(WAIT)
      await context.close()
    })
  })
}
