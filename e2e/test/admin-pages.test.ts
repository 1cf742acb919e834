// The admin pages in real Chromium, keyboard and screen-reader semantics included. Sign-in is the real server;
// the admin wire (/api/admin/*) is answered by the in-memory fake of packages/react/test, so every error path
// (field errors, refusals, 404) can be shown on demand. admin.test.ts runs the same pages on the real API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import {
  createFakeAdminApi,
  fakeUser,
  type FakeAdminApi,
} from '../../packages/react/test/fake-admin-api.js'
import {
  ADMIN,
  artifact,
  checkPrerequisites,
  launchChromium,
  startApiServer,
  type ApiServer,
} from './harness.js'

const ready = checkPrerequisites()
const WAIT = { timeout: 20_000 }

describe.skipIf(!ready)('admin pages (fake admin API)', () => {
  let api: ApiServer
  let browser: Browser
  let fake: FakeAdminApi

  beforeAll(async () => {
    ;[api, browser] = await Promise.all([startApiServer(), launchChromium()])
  })
  afterAll(async () => {
    await Promise.allSettled([browser?.close(), api?.stop()])
  })

  async function openAdmin(path = '/admin'): Promise<Page> {
    fake = createFakeAdminApi([
      fakeUser(1, { username: ADMIN.username, is_staff: true, is_superuser: true }),
      ...Array.from({ length: 30 }, (_, i) =>
        fakeUser(i + 2, {
          username: `member${String(i + 2).padStart(2, '0')}`,
          first_name: i === 0 ? 'Ada' : '',
          last_name: i === 0 ? 'Lovelace' : '',
          is_active: i % 7 !== 3,
          is_staff: i % 10 === 5,
        }),
      ),
    ])
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    await page.route('**/api/admin/**', async (route) => {
      const request = route.request()
      const res = await fake.fetch(request.url(), {
        method: request.method(),
        body: request.postData(),
        credentials: 'include',
      })
      await route.fulfill({
        status: res.status,
        headers: Object.fromEntries(res.headers),
        body: await res.text(),
      })
    })
    await page.goto(`http://127.0.0.1:${api.port}${path}`)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT)
    await page.getByLabel('Username').fill(ADMIN.username)
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password)
    await page.keyboard.press('Enter')
    return page
  }

  it('lists, searches, filters, sorts and pages users, keeping the state in the address', async () => {
    const page = await openAdmin()
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor(WAIT)
    await page.getByText('Users: 31 matches').waitFor(WAIT)
    expect(await page.locator('tbody tr').count()).toBe(25)
    await page.screenshot({ path: await artifact('admin-users-fake.png'), fullPage: true })

    await page.getByRole('button', { name: 'Next page →' }).click()
    await page
      .locator('tbody tr')
      .nth(6)
      .waitFor({ state: 'detached', ...WAIT })
    expect(await page.locator('tbody tr').count()).toBe(6)
    expect(page.url()).toContain('cursor=')
    // The last page disables "Next": focus moves to "Previous" rather than falling to the page.
    await page.waitForFunction(() => document.activeElement?.textContent === '← Previous page')
    await page.goBack()
    await page.getByText('Users: 31 matches').waitFor(WAIT)
    await page.locator('tbody tr').nth(24).waitFor(WAIT)

    await page.getByLabel('Active').selectOption('false')
    await page.getByText('Users: 4 matches').waitFor(WAIT)
    expect(page.url()).toContain('is_active=false')
    await page.getByLabel('Active').selectOption('')

    await page.getByRole('searchbox', { name: 'Search' }).fill('lovelace')
    await page.keyboard.press('Enter')
    await page.getByText('Users: 1 match').waitFor(WAIT)
    expect(await page.locator('tbody th a').allTextContents()).toEqual(['member02'])
    await page.getByRole('searchbox', { name: 'Search' }).fill('')
    await page.keyboard.press('Enter')

    // The server's default order is by username: the column says so, and a click reverses it.
    const header = page.getByRole('columnheader', { name: /Username/ })
    expect(await header.getAttribute('aria-sort')).toBe('ascending')
    await header.getByRole('button').click()
    await page.waitForURL(/ordering=-username/)
    await page.locator('tbody tr').first().filter({ hasText: 'member31' }).waitFor(WAIT)
    expect(await header.getAttribute('aria-sort')).toBe('descending')
    const joined = page.getByRole('columnheader', { name: /Joined/ })
    await joined.getByRole('button').click()
    await page.waitForURL(/ordering=date_joined/)
    expect(await joined.getAttribute('aria-sort')).toBe('ascending')
    expect(await header.getAttribute('aria-sort')).toBeNull()
    await page.context().close()
  })

  it('edits a user from the keyboard, shows field errors under their field and refusals in an alert', async () => {
    const page = await openAdmin('/admin/users/2')
    await page.getByRole('heading', { name: 'member02', level: 1 }).waitFor(WAIT)
    await page.getByLabel('Email').fill('not-an-email')
    await page.getByLabel('Email').press('Enter')
    const emailError = page.locator('.field-error', { hasText: 'Enter a valid email address.' })
    await emailError.waitFor(WAIT)
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByLabel('Email').getAttribute('aria-describedby')).toBe(
      await emailError.getAttribute('id'),
    )

    await page.getByLabel('Email').fill('ada@example.org')
    await page.getByLabel('Staff (can use this admin)').check()
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('status').filter({ hasText: 'Changes saved.' }).waitFor(WAIT)
    expect(fake.state.users[1]).toMatchObject({ email: 'ada@example.org', is_staff: true })

    fake.state.fail.set('users/2/', [
      403,
      { detail: 'Only a superuser can grant or remove staff status.', code: 'permission_denied' },
    ])
    await page.getByLabel('First name').fill('Augusta')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page
      .getByRole('alert')
      .filter({ hasText: 'Only a superuser can grant or remove staff status.' })
      .waitFor(WAIT)
    fake.state.fail.clear()
    await page.context().close()
  })

  it('asks in a modal dialog before deactivating; Escape cancels, the confirm button goes ahead', async () => {
    const page = await openAdmin('/admin/users/3')
    await page.getByRole('heading', { name: 'member03', level: 1 }).waitFor(WAIT)
    const deactivate = page.getByRole('button', { name: 'Deactivate' })
    await deactivate.focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: 'Deactivate member03?' })
    await dialog.waitFor(WAIT)
    // Focus starts on the safe choice and stays in the dialog.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden', ...WAIT })
    expect(fake.state.users[2]?.is_active).toBe(true)
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Deactivate')

    await page.keyboard.press('Enter')
    await dialog.getByRole('button', { name: 'Deactivate' }).click()
    await page.getByRole('status').filter({ hasText: 'member03 is deactivated.' }).waitFor(WAIT)
    expect(fake.state.users[2]?.is_active).toBe(false)
    await page.getByRole('button', { name: 'Activate' }).waitFor(WAIT)
    await page.context().close()
  })

  it('revokes one session and all sessions, sets a password and deletes the user', async () => {
    const page = await openAdmin('/admin/users/4')
    await page.getByRole('heading', { name: 'member04', level: 1 }).waitFor(WAIT)
    fake.state.sessions.set('4', [
      {
        id: 'a'.repeat(32),
        created_at: '2026-11-30T10:00:00Z',
        last_used_at: '2026-12-01T09:00:00Z',
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
        ip: '203.0.113.7',
      },
      {
        id: 'b'.repeat(32),
        created_at: '2026-11-29T10:00:00Z',
        last_used_at: '2026-11-29T11:00:00Z',
        user_agent: 'curl/8.5.0',
        ip: '198.51.100.2',
      },
    ])
    await page.reload()
    await page.getByRole('heading', { name: 'member04', level: 1 }).waitFor(WAIT)
    await page.getByText('2 active sessions').waitFor(WAIT)
    await page.screenshot({ path: await artifact('admin-user-fake.png'), fullPage: true })

    await page.getByRole('button', { name: /^Revoke session: curl/ }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke session' }).click()
    await page.getByText('1 active session').waitFor(WAIT)
    await page.getByRole('button', { name: 'Revoke all sessions' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke all sessions' }).click()
    await page.getByText('No active session.').waitFor(WAIT)

    await page.getByLabel('New password', { exact: true }).fill('short')
    await page.getByLabel('New password again').fill('shorter')
    await page.getByRole('button', { name: 'Set password' }).click()
    await page.getByText('The two passwords differ.').waitFor(WAIT)
    await page.getByLabel('New password again').fill('short')
    await page.getByRole('button', { name: 'Set password' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click()
    await page.locator('.field-error', { hasText: 'This password is too short.' }).waitFor(WAIT)
    await page.getByLabel('New password', { exact: true }).fill('a-much-longer-one-42')
    await page.getByLabel('New password again').fill('a-much-longer-one-42')
    await page.getByRole('button', { name: 'Set password' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click()
    await page.getByRole('status').filter({ hasText: 'Password set.' }).waitFor(WAIT)

    await page.getByRole('button', { name: 'Delete user' }).click()
    await page
      .getByRole('dialog', { name: 'Delete member04?' })
      .getByRole('button', { name: 'Delete user' })
      .click()
    await page.getByRole('status').filter({ hasText: 'User member04 deleted.' }).waitFor(WAIT)
    expect(new URL(page.url()).pathname).toBe('/admin')
    expect(fake.state.users.some((u) => u.username === 'member04')).toBe(false)

    await page.goto(`http://127.0.0.1:${api.port}/admin/users/4`)
    await page.getByRole('heading', { name: 'No such user' }).waitFor(WAIT)
    await page.context().close()
  })

  it('shows the audit log with its filters and links', async () => {
    const page = await openAdmin('/admin/users/5')
    await page.getByRole('heading', { name: 'member05', level: 1 }).waitFor(WAIT)
    await page.getByLabel('Last name').fill('Hopper')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('status').filter({ hasText: 'Changes saved.' }).waitFor(WAIT)
    await page.getByRole('link', { name: 'Audit log of changes to member05' }).click()
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor(WAIT)
    await page.getByText('Audit log: 1 entry').waitFor(WAIT)
    expect(await page.getByRole('cell', { name: 'last_name: "" → Hopper' }).count()).toBe(1)
    expect(await page.getByLabel('Target (user id)').inputValue()).toBe('5')
    await page.getByRole('link', { name: 'Clear filters' }).click()
    await page.waitForURL(/\/admin\/audit$/)
    await page.screenshot({ path: await artifact('admin-audit-fake.png'), fullPage: true })
    await page.getByLabel('Action').selectOption('user.delete')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.getByText('Audit log: 0 entries').waitFor(WAIT)
    await page.context().close()
  })

  it('answers an unknown address with a page that says so, the admin link still in the header', async () => {
    const page = await openAdmin('/nowhere')
    await page.getByRole('heading', { name: 'Page not found' }).waitFor(WAIT)
    await page
      .getByRole('navigation', { name: 'Account' })
      .getByRole('link', { name: 'Admin' })
      .click()
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor(WAIT)
    await page.context().close()
  })
})
