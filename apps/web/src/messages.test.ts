import { ApiError } from '@cookiejwt/react'
import { describe, expect, it } from 'vitest'
import { describeAdminError, describeError, fieldErrors, splitErrors } from './messages.js'

describe('describeError', () => {
  it('says wrong username or password for no_active_account', () => {
    const error = new ApiError(
      401,
      'No active account found with the given credentials',
      'no_active_account',
    )
    expect(describeError(error)).toBe('Wrong username or password.')
  })

  it('tells how long to wait when throttled', () => {
    expect(describeError(new ApiError(429, 'Request was throttled.', 'throttled', {}, 42))).toBe(
      'Too many attempts. Try again in 42 seconds.',
    )
    expect(describeError(new ApiError(429, 'x', 'throttled', {}, 1))).toBe(
      'Too many attempts. Try again in 1 second.',
    )
    expect(describeError(new ApiError(429, 'x', 'throttled', {}, 600))).toBe(
      'Too many attempts. Try again in 10 minutes.',
    )
    expect(describeError(new ApiError(429, 'x', 'throttled'))).toBe(
      'Too many attempts. Please wait a moment and try again.',
    )
  })

  it('explains network errors, CSRF refusals and server errors', () => {
    expect(describeError(new ApiError(0, 'x', 'network_error'))).toBe(
      'Cannot reach the server. Check your connection and try again.',
    )
    expect(
      describeError(new ApiError(403, 'CSRF Failed: CSRF token missing.', 'permission_denied')),
    ).toMatch(/cross-site forgery/)
    expect(describeError(new ApiError(503, 'Service unavailable', 'service_unavailable'))).toBe(
      'The server had a problem. Please try again later.',
    )
    expect(describeError(new Error('boom'))).toBe('Something went wrong. Please try again.')
  })

  it('joins field errors of a 400 only', () => {
    const error = new ApiError(400, 'x', 'invalid', { new_password: ['Too short.', 'Too common.'] })
    expect(fieldErrors(error)).toEqual({ new_password: 'Too short. Too common.' })
    expect(fieldErrors(new ApiError(401, 'x', 'token_not_valid', { a: ['b'] }))).toEqual({})
  })
})

describe('describeAdminError', () => {
  it('shows the rule the server explains, and a plain sentence for the generic refusal', () => {
    expect(
      describeAdminError(new ApiError(403, 'You cannot deactivate yourself.', 'permission_denied')),
    ).toBe('You cannot deactivate yourself.')
    expect(
      describeAdminError(
        new ApiError(
          403,
          'You do not have permission to perform this action.',
          'permission_denied',
        ),
      ),
    ).toBe('You are not allowed to do that: the admin is for staff only.')
    expect(
      describeAdminError(
        new ApiError(403, 'CSRF Failed: CSRF token missing.', 'permission_denied'),
      ),
    ).toMatch(/cross-site forgery/)
    expect(describeAdminError(new ApiError(404, 'Not found.', 'not_found'))).toBe(
      'Not found: it may have been deleted in the meantime.',
    )
    expect(describeAdminError(new ApiError(0, 'x', 'network_error'))).toMatch(/Cannot reach/)
  })
})

describe('splitErrors', () => {
  it('puts errors of the form’s fields under them and the rest in the alert', () => {
    const error = new ApiError(400, 'x', 'invalid', {
      email: ['Enter a valid email address.'],
      non_field_errors: ['The last active superuser cannot be demoted.'],
      ordering: ['Unknown field.'],
    })
    expect(splitErrors(error, ['email'])).toEqual({
      fields: { email: 'Enter a valid email address.' },
      alert: 'The last active superuser cannot be demoted. ordering: Unknown field.',
    })
    expect(splitErrors(new ApiError(400, 'x', 'invalid', { email: ['Bad.'] }), ['email'])).toEqual({
      fields: { email: 'Bad.' },
      alert: null,
    })
  })

  it('turns a detail error into the alert alone, and no error into nothing', () => {
    expect(
      splitErrors(new ApiError(409, 'A user with that username already exists.', 'conflict'), [
        'username',
      ]),
    ).toEqual({ fields: {}, alert: 'A user with that username already exists.' })
    expect(splitErrors(null, ['email'])).toEqual({ fields: {}, alert: null })
  })
})

describe('splitErrors on a 409', () => {
  it('shows a duplicate username under the field', () => {
    const error = new ApiError(409, 'x', 'conflict', {
      username: ['A user with that username already exists.'],
    })
    expect(splitErrors(error, ['username']).fields).toEqual({
      username: 'A user with that username already exists.',
    })
  })
})
