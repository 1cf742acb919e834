import { describe, expect, it } from 'vitest'
import { matchRoute } from './router.js'

describe('matchRoute', () => {
  it('maps the profile, the users table, a user and the audit log, with or without a trailing slash', () => {
    expect(matchRoute('/')).toEqual({ name: 'home' })
    expect(matchRoute('/admin')).toEqual({ name: 'admin-users' })
    expect(matchRoute('/admin/')).toEqual({ name: 'admin-users' })
    expect(matchRoute('/admin/users/')).toEqual({ name: 'admin-users' })
    expect(matchRoute('/admin/users/42')).toEqual({ name: 'admin-user', id: '42' })
    expect(matchRoute('/admin/users/42/')).toEqual({ name: 'admin-user', id: '42' })
    expect(matchRoute('/admin/audit')).toEqual({ name: 'admin-audit' })
    expect(matchRoute('/security')).toEqual({ name: 'security' })
    expect(matchRoute('/security/')).toEqual({ name: 'security' })
  })

  it('maps the account pages and the links of the account emails', () => {
    expect(matchRoute('/signup')).toEqual({ name: 'signup' })
    expect(matchRoute('/forgot-password/')).toEqual({ name: 'forgot-password' })
    expect(matchRoute('/verify-email/abc_D-9')).toEqual({ name: 'verify-email', key: 'abc_D-9' })
    expect(matchRoute('/reset-password/MQ/tok_en-1')).toEqual({ name: 'reset-password', uid: 'MQ', token: 'tok_en-1' })
    for (const path of ['/verify-email/', '/verify-email/a%20b', '/reset-password/MQ', '/reset-password/MQ/a/b'])
      expect(matchRoute(path)).toEqual({ name: 'not-found' })
  })

  it('answers not-found for anything else, including ids that are not numbers', () => {
    for (const path of [
      '/admin/users/abc',
      '/admin/users/1/x',
      '/admins',
      '/profile',
      '/admin/users/-1',
    ])
      expect(matchRoute(path)).toEqual({ name: 'not-found' })
    expect(matchRoute(`/admin/users/${'9'.repeat(19)}`)).toEqual({ name: 'not-found' })
  })
})
