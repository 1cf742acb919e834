import { createRequire } from 'node:module'
import { ValidationError } from '@cookiejwt/core'
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'
import type { JsonSchema } from './types.js'

const require = createRequire(import.meta.url)
let ajv: Ajv | undefined

// One ajv for every route: no type coercion, no silently removed properties, and every error at once, so a
// request with several bad fields hears about all of them (DRF's serializers do the same). Loaded on the first
// validation: loading ajv (66 CommonJS modules) and compiling its meta-schema and every route's schema up front cost
// ≈ 50 ms of every start-up and ≈ 8 MB of the idle process (bench/README.md, finding 16).
function sharedAjv(): Ajv {
  if (ajv === undefined) {
    const { Ajv: AjvClass } = require('ajv') as { Ajv: typeof Ajv }
    ajv = new AjvClass({
      coerceTypes: false,
      removeAdditional: false,
      allErrors: true,
      strict: false,
    })
  }
  return ajv
}

/**
 * Returns a function that throws a DRF-shaped `ValidationError` for data the schema refuses. The schema is compiled
 * on the first call (once), so a route nobody calls costs nothing; an invalid schema throws there.
 */
export function compileValidator(schema: JsonSchema): (data: unknown) => void {
  let validate: ValidateFunction | undefined
  return (data) => {
    validate ??= sharedAjv().compile(schema)
    if (!validate(data)) throw new ValidationError(validationFields(validate.errors ?? []))
  }
}

/** DRF's field map for ajv errors: `{ "<field>": ["This field is required.", …] }`, one message per field. */
export function validationFields(errors: readonly ErrorObject[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const e of errors) {
    // A property that is missing or not allowed is named itself (its error has no path of its own).
    const field =
      e.keyword === 'required'
        ? String(e.params.missingProperty ?? 'non_field_errors')
        : e.keyword === 'additionalProperties' && e.instancePath === ''
          ? String(e.params.additionalProperty ?? 'non_field_errors')
          : e.instancePath.replace(/^\//, '').split('/')[0] || 'non_field_errors'
    const message = fieldMessage(e)
    const list = (out[field] ??= [])
    if (!list.includes(message)) list.push(message)
  }
  // A root type error ("expected an object") says everything; the rest would be noise.
  if (out.non_field_errors?.includes(NOT_A_DICT)) return { non_field_errors: [NOT_A_DICT] }
  return Object.keys(out).length > 0 ? out : { non_field_errors: ['Invalid data.'] }
}

const NOT_A_DICT = 'Invalid data. Expected a dictionary.'

function fieldMessage(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required':
      return 'This field is required.'
    case 'type':
      if (e.instancePath === '') return NOT_A_DICT
      return e.params.type === 'boolean'
        ? 'Must be a valid boolean.'
        : e.params.type === 'integer'
          ? 'A valid integer is required.'
          : 'Not a valid string.'
    case 'maxLength':
      return `Ensure this field has no more than ${String(e.params.limit)} characters.`
    case 'minLength':
      return 'This field may not be blank.'
    case 'format':
      return e.params.format === 'email' ? 'Enter a valid email address.' : 'Invalid value.'
    case 'pattern':
      return 'Null characters are not allowed.'
    case 'enum':
      return 'Not a valid choice.'
    case 'additionalProperties':
      return 'Unknown field.'
    case 'minimum':
      return `Ensure this value is greater than or equal to ${String(e.params.limit)}.`
    case 'maximum':
      return `Ensure this value is less than or equal to ${String(e.params.limit)}.`
    default:
      return 'Invalid value.'
  }
}
