import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { AuditTable } from './audit-page.js'
import { ConfirmDialog } from './confirm-dialog.js'
import { UsersTable } from './users-table.js'

const ada = {
  id: 2,
  username: 'ada',
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: 'Lovelace',
  is_active: false,
  is_staff: true,
  is_superuser: false,
  date_joined: '2026-01-01T00:00:00Z',
  last_login: null,
}

describe('UsersTable', () => {
  it('has a caption, sort buttons with aria-sort on the sorted column, and a link per user', () => {
    const html = renderToStaticMarkup(
      <UsersTable
        page={{ count: 1, next: null, previous: null, results: [ada] }}
        ordering="-username"
        onSort={() => undefined}
      />,
    )
    expect(html).toContain('<caption>Users: 1 match</caption>')
    expect(html).toMatch(
      /<th scope="col" aria-sort="descending"><button type="button" class="sort">Username/,
    )
    expect(html.match(/aria-sort=/g)).toHaveLength(1)
    expect(html).toContain('<a href="/admin/users/2">ada</a>')
    expect(html).toContain('Ada Lovelace')
    // Flags are words, not colour alone.
    expect(html).toContain('>Inactive<')
    expect(html).toContain('>Staff<')
    expect(html).not.toContain('>Superuser<')
  })

  it('says so when no user matches', () => {
    const html = renderToStaticMarkup(
      <UsersTable
        page={{ count: 0, next: null, previous: null, results: [] }}
        ordering="username"
        onSort={() => undefined}
      />,
    )
    expect(html).toContain('Users: 0 matches')
    expect(html).toContain('No user matches these filters.')
  })
})

describe('AuditTable', () => {
  it('shows actor and target linked to their filters, and every changed field', () => {
    const html = renderToStaticMarkup(
      <AuditTable
        page={{
          count: 2,
          next: 'n',
          previous: null,
          results: [
            {
              id: 1,
              actor: { id: 1, username: 'admin' },
              action: 'user.update',
              target: { id: 2, username: 'ada' },
              changes: { is_active: { old: true, new: false } },
              created_at: '2026-12-02T10:00:00Z',
              ip: '203.0.113.7',
              user_agent: 'curl/8.5.0',
            },
            {
              id: 2,
              actor: { id: null, username: 'cli:root' },
              action: 'user.deactivate',
              target: null,
              changes: null,
              created_at: '2026-12-02T10:00:00Z',
              ip: null,
              user_agent: null,
            },
          ],
        }}
      />,
    )
    expect(html).toContain('<caption>Audit log: 2 entries</caption>')
    expect(html).toContain('<a href="/admin/audit?actor=1">admin (#1)</a>')
    expect(html).toContain('<a href="/admin/users/2">ada (#2)</a>')
    expect(html).toContain('<li>is_active: true → false</li>')
    expect(html).toContain('<td>cli:root</td>')
    expect(html).toContain('203.0.113.7')
  })
})

describe('ConfirmDialog', () => {
  it('is a labelled and described dialog whose first button is Cancel', () => {
    const html = renderToStaticMarkup(
      <ConfirmDialog
        request={{
          title: 'Delete ada?',
          message: 'This cannot be undone.',
          confirmLabel: 'Delete user',
        }}
        onResult={() => undefined}
      />,
    )
    const labelled = /aria-labelledby="([^"]+)"/.exec(html)?.[1]
    const described = /aria-describedby="([^"]+)"/.exec(html)?.[1]
    expect(html).toContain(`<h2 id="${labelled}">Delete ada?</h2>`)
    expect(html).toContain(`<p id="${described}">This cannot be undone.</p>`)
    expect(html.indexOf('>Cancel<')).toBeLessThan(html.indexOf('>Delete user<'))
    // Closed until showModal(): never rendered open (a non-modal open dialog would not trap focus).
    expect(html).not.toContain(' open')
  })

  it('renders an empty closed dialog without a request', () => {
    expect(
      renderToStaticMarkup(<ConfirmDialog request={null} onResult={() => undefined} />),
    ).toMatch(/^<dialog class="dialog"[^>]*><\/dialog>$/)
  })
})
