import { describe, expect, it } from 'vitest'
import { compileValidator } from './validate.js'

const LOGIN = {
  type: 'object',
  required: ['username', 'password'],
  properties: { username: { type: 'string', maxLength: 150 }, password: { type: 'string' } },
  additionalProperties: false,
}

describe('compileValidator', () => {
  it('refuses data with a DRF-shaped ValidationError naming every bad field', () => {
    const validate = compileValidator(LOGIN)
    expect(() => validate({ username: 'ada', password: 'x' })).not.toThrow()
    expect(() => validate({ username: 7, extra: true })).toThrow(
      expect.objectContaining({
        code: 'invalid',
        fields: {
          username: ['Not a valid string.'],
          password: ['This field is required.'],
          extra: ['Unknown field.'],
        },
      }),
    )
  })

  it('compiles the schema on the first call, not when the route is set up', () => {
    // Start-up cost: a schema is compiled when its route is first called; an invalid one throws there.
    const validate = compileValidator({ type: 'no-such-type' })
    expect(() => validate({})).toThrow(/schema is invalid/)
  })
})
