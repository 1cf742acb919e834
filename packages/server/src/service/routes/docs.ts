import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { AuthSettings } from '@cookiejwt/core'
import { buildOpenApi } from '../openapi.js'
import type { RouteDef, ServiceDeps } from '../types.js'

/** Path of the OpenAPI document. */
export const SCHEMA_PATH = '/api/schema/'
/** Path of the interactive API reference (Swagger UI). */
export const DOCS_PATH = '/api/docs/'

/**
 * The reference page's own policy: scripts and styles from this origin only (no inline script or style element,
 * hashed or not), requests to this origin only, never framed.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

/** Whether `/api/schema/` and `/api/docs/` are served: `apiDocs`, or by default everywhere but production. */
export function apiDocsEnabled(settings: AuthSettings): boolean {
  // Read here, as the diagnostics route does: a forgotten option must not publish the API map in production.
  return settings.apiDocs ?? process.env.NODE_ENV !== 'production'
}

/**
 * `GET /api/schema/` (OpenAPI 3.1, from the routes' own schemas) and `GET /api/docs/` (Swagger UI from
 * `swagger-ui-dist`, served by the service itself, with a CSP that allows no inline script). `routes` is read at
 * request time, so the document lists every route the service answers, an application's own included.
 */
export function docsRoutes(deps: ServiceDeps, routes: () => readonly RouteDef[]): RouteDef[] {
  const { settings } = deps
  if (!apiDocsEnabled(settings)) return []
  let document: string | null = null
  const assets = new Map<string, string>()
  const asset = (name: string): string => {
    let text = assets.get(name)
    if (text === undefined) {
      const root = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
      text = readFileSync(join(root, name), 'utf8')
      assets.set(name, text)
    }
    return text
  }
  const page = [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>cookiejwt API</title><link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>',
    '<body><div id="swagger-ui"></div>',
    '<script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script></body>',
    '</html>',
  ].join('\n')
  // "Try it out" sends the browser's cookies; unsafe requests carry the CSRF token read from its cookie.
  const init = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(SCHEMA_PATH)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  requestInterceptor: function (request) {
    var match = document.cookie.match(new RegExp('(?:^|; )' + ${JSON.stringify(settings.csrf.cookieName)} + '=([^;]*)'))
    if (match && request.method && request.method.toUpperCase() !== 'GET') request.headers[${JSON.stringify(settings.csrf.headerName)}] = decodeURIComponent(match[1])
    return request
  },
})
`
  const file = (path: string, name: () => string, type: string, summary: string): RouteDef => ({
    method: 'GET',
    path,
    schema: {
      summary,
      tags: ['docs'],
      response: { 200: { type: 'string', description: type } },
      errors: [],
    },
    handler: () => ({
      raw: name(),
      headers: {
        'content-type': type,
        'cache-control': 'public, max-age=3600',
        'content-security-policy': DOCS_CSP,
      },
    }),
  })
  return [
    {
      method: 'GET',
      path: SCHEMA_PATH,
      schema: {
        summary: 'This OpenAPI 3.1 document',
        tags: ['docs'],
        response: { 200: { type: 'object' } },
        errors: [],
      },
      handler() {
        document ??= JSON.stringify(buildOpenApi(routes(), settings, { version: VERSION }))
        return { raw: document, headers: { 'content-type': 'application/json; charset=utf-8' } }
      },
    },
    file(
      DOCS_PATH,
      () => page,
      'text/html; charset=utf-8',
      'The interactive API reference (Swagger UI)',
    ),
    file(
      '/api/docs/init.js',
      () => init,
      'text/javascript; charset=utf-8',
      "The reference page's start-up script",
    ),
    file(
      '/api/docs/swagger-ui.css',
      () => asset('swagger-ui.css'),
      'text/css; charset=utf-8',
      'Swagger UI styles',
    ),
    file(
      '/api/docs/swagger-ui-bundle.js',
      () => asset('swagger-ui-bundle.js'),
      'text/javascript; charset=utf-8',
      'Swagger UI',
    ),
  ]
}
