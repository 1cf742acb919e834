import { ApiError } from '@cookiejwt/react'
import { describe, expect, it } from 'vitest'
import { describeError, fieldErrors } from './messages.js'

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
