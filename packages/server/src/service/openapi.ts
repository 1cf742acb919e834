import type { AuthErrorCode, AuthSettings } from '@cookiejwt/core'
import { STATUS_BY_CODE } from './errors.js'
import type { JsonSchema, RouteDef } from './types.js'

/** The OpenAPI version the document declares (JSON Schema 2020-12 dialect, so route schemas go in unchanged). */
export const OPENAPI_VERSION = '3.1.0'

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['detail', 'code'],
  properties: { detail: { type: 'string' }, code: { type: 'string' } },
}
const FIELD_ERRORS_SCHEMA: JsonSchema = {
  type: 'object',
  description:
    'Field validation errors, as DRF renders them: every refused field with its messages.',
  additionalProperties: { type: 'array', items: { type: 'string' } },
}
// Every route can answer these whatever it documents: a body it cannot read, too large, the database down.
const ALWAYS: readonly AuthErrorCode[] = ['service_unavailable']
const BODY_ERRORS: readonly AuthErrorCode[] = [
  'parse_error',
  'unsupported_media_type',
  'payload_too_large',
]
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** What a route must document to appear complete; empty when it documents everything. */
export function missingDocumentation(route: RouteDef): string[] {
  const s = route.schema
  const missing: string[] = []
  if (!s?.summary) missing.push('summary')
  if (!s?.tags || s.tags.length === 0) missing.push('tags')
  if (BODY_METHODS.has(route.method) && !s?.body) missing.push('request body schema')
  const statuses = Object.keys(s?.response ?? {}).map(Number)
  if (!statuses.some((status) => status >= 200 && status < 300))
    missing.push('success response schema')
  if (!s?.errors) missing.push('error codes')
  for (const code of s?.errors ?? [])
    if (!(code in STATUS_BY_CODE)) missing.push(`unknown error code "${code}"`)
  return missing
}

/**
 * Builds the OpenAPI 3.1 document of `routes` from their own schemas: parameters from `:name` path segments and
 * the querystring schema, the body schema, one response per documented status, and every documented error code
 * under its status (DRF's `{detail, code}`, or the field map for 400 `invalid`).
 */
export function buildOpenApi(
  routes: readonly RouteDef[],
  settings: AuthSettings,
  info: { version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}')
    const s = route.schema ?? {}
    const parameters: Record<string, unknown>[] = []
    for (const [, name] of route.path.matchAll(/:(\w+)/g)) {
      parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } })
    }
    const query = (s.querystring?.properties ?? {}) as Record<string, JsonSchema>
    const required = new Set((s.querystring?.required as string[] | undefined) ?? [])
    for (const [name, schema] of Object.entries(query)) {
      const { description, ...rest } = schema as { description?: string }
      parameters.push({
        name,
        in: 'query',
        required: required.has(name),
        schema: rest,
        ...(description ? { description } : {}),
      })
    }
    const responses: Record<string, unknown> = {}
    for (const [status, schema] of Object.entries(s.response ?? {})) {
      const { description, ...rest } = schema as { description?: string }
      responses[status] =
        status === '204' || Object.keys(rest).length === 0
          ? { description: description ?? 'No content' }
          : {
              description: description ?? 'Success',
              content: { 'application/json': { schema: rest } },
            }
    }
    const codes = [
      ...(s.errors ?? []),
      ...ALWAYS,
      ...(s.body ? BODY_ERRORS : []),
    ] as AuthErrorCode[]
    const byStatus = new Map<number, AuthErrorCode[]>()
    for (const code of new Set(codes)) {
      const status = STATUS_BY_CODE[code]
      if (status === undefined) continue
      byStatus.set(status, [...(byStatus.get(status) ?? []), code])
    }
    for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
      const schema = list.includes('invalid')
        ? {
            oneOf: [
              { $ref: '#/components/schemas/FieldErrors' },
              { $ref: '#/components/schemas/Error' },
            ],
          }
        : { $ref: '#/components/schemas/Error' }
      responses[String(status)] = {
        description: list.map((c) => `\`${c}\``).join(', '),
        content: { 'application/json': { schema } },
      }
    }
    const operation: Record<string, unknown> = {
      ...(s.summary ? { summary: s.summary } : {}),
      ...(s.tags ? { tags: s.tags } : {}),
      operationId: `${route.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(s.body
        ? {
            requestBody: {
              required: !acceptsNull(s.body),
              content: { 'application/json': { schema: s.body } },
            },
          }
        : {}),
      responses,
      ...(route.auth === 'required' ? { security: [{ cookieAuth: [] }, { bearerAuth: [] }] } : {}),
      ...(route.auth === 'optional'
        ? { security: [{ cookieAuth: [] }, { bearerAuth: [] }, {}] }
        : {}),
    }
    ;(paths[path] ??= {})[route.method.toLowerCase()] = operation
  }
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'cookiejwt',
      version: info.version,
      description:
        'JWT-in-HttpOnly-cookie authentication (docs/http-contract.md). Browsers use the cookie flow: unsafe ' +
        `requests authenticated by cookie need the \`${settings.csrf.headerName}\` header (GET /api/auth/csrf/).`,
    },
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA, FieldErrors: FIELD_ERRORS_SCHEMA },
      securitySchemes: {
        cookieAuth: { type: 'apiKey', in: 'cookie', name: settings.authCookie.name },
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  }
}

function acceptsNull(schema: JsonSchema): boolean {
  const type = schema.type
  return type === 'null' || (Array.isArray(type) && type.includes('null'))
}
