import { defineSettings, type AuthSettingsInput } from '@cookiejwt/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openDatabase } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { missingDocumentation } from '../../src/service/openapi.js'
import { DOCS_CSP } from '../../src/service/routes/docs.js'
import { createService, type CookiejwtService } from '../../src/service/service.js'
import { TEST_KEY } from '../helpers.js'

async function serviceWith(input: AuthSettingsInput = {}): Promise<CookiejwtService> {
  const database = await openDatabase('sqlite::memory:')
  const migrated = await migrateToLatest(database)
  if (migrated.error) throw migrated.error
  return createService(defineSettings({ signingKey: TEST_KEY, ...input }), { database, emailBackend: null })
}

async function get(service: CookiejwtService, url: string) {
  const response = await service.handle({ method: 'GET', url, headers: { host: '127.0.0.1' }, remoteAddress: '127.0.0.1' })
  return response ?? service.notFound({ method: 'GET', url, headers: {} })
}

describe('the OpenAPI document and the API reference', () => {
  let service: CookiejwtService
  afterEach(async () => {
    vi.unstubAllEnvs()
    await service?.close()
  })

  it('fails for any route without its request schema, response schemas or documented error codes', async () => {
    // Every optional route module switched on, so none escapes the check.
    service = await serviceWith({ diagnostics: true, registration: true, frontendUrl: 'http://localhost:3000', apiDocs: true })
    const incomplete = service.routes
      .map((route) => ({ route: `${route.method} ${route.path}`, missing: missingDocumentation(route) }))
      .filter((r) => r.missing.length > 0)
    expect(incomplete).toEqual([])
    expect(service.routes.length).toBeGreaterThan(30)
  })

  it('serves OpenAPI 3.1 at /api/schema/ with every route, its parameters, body, responses and error statuses', async () => {
    service = await serviceWith()
    const res = await get(service, '/api/schema/')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const doc = JSON.parse(res.body!)
    expect(doc.openapi).toBe('3.1.0')
    for (const route of service.routes) {
      const path = route.path.replace(/:(\w+)/g, '{$1}')
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path}`).toBeDefined()
    }
    const patch = doc.paths['/api/admin/users/{id}/'].patch
    expect(patch.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }])
    expect(patch.requestBody.content['application/json'].schema.properties).toHaveProperty('is_active')
    expect(Object.keys(patch.responses).sort()).toEqual(['200', '400', '401', '403', '404', '413', '415', '503'])
    expect(patch.security).toEqual([{ cookieAuth: [] }, { bearerAuth: [] }])
    const list = doc.paths['/api/admin/users/'].get
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(['search', 'is_active', 'is_staff', 'is_superuser', 'ordering', 'cursor', 'page_size'])
    expect(list.responses['200'].content['application/json'].schema.properties.results.items.properties).toHaveProperty('last_login')
    expect(doc.components.securitySchemes.cookieAuth).toEqual({ type: 'apiKey', in: 'cookie', name: 'access_token' })
  })

  it('serves the reference page at /api/docs/ under a CSP with no inline script, its assets from this origin', async () => {
    service = await serviceWith()
    const page = await get(service, '/api/docs/')
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    const csp = page.headers['content-security-policy']!
    expect(csp).toBe(DOCS_CSP)
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
    expect(csp).toMatch(/frame-ancestors 'none'/)
    // Every script is an external file of this origin: nothing inline for the CSP to allow.
    const scripts = [...page.body!.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.length).toBeGreaterThan(0)
    for (const [, attributes, content] of scripts) {
      expect(attributes).toMatch(/src="\/api\/docs\//)
      expect(content).toBe('')
    }
    expect(page.body).not.toMatch(/<style|\sstyle="|\son\w+="/i)
    for (const [path, type] of [
      ['/api/docs/swagger-ui-bundle.js', /javascript/],
      ['/api/docs/init.js', /javascript/],
      ['/api/docs/swagger-ui.css', /css/],
    ] as const) {
      const res = await get(service, path)
      expect(res.status, path).toBe(200)
      expect(res.headers['content-type']).toMatch(type)
      expect(res.body!.length).toBeGreaterThan(100)
    }
    expect((await get(service, '/api/docs/init.js')).body).toContain("'/api/schema/'".replace(/'/g, '"'))
  })

  it('is off with apiDocs: false, and off under NODE_ENV=production unless apiDocs: true', async () => {
    service = await serviceWith({ apiDocs: false })
    expect((await get(service, '/api/schema/')).status).toBe(404)
    expect((await get(service, '/api/docs/')).status).toBe(404)
    await service.close()
    vi.stubEnv('NODE_ENV', 'production')
    service = await serviceWith()
    expect((await get(service, '/api/schema/')).status).toBe(404)
    expect((await get(service, '/api/docs/')).status).toBe(404)
    await service.close()
    service = await serviceWith({ apiDocs: true })
    expect((await get(service, '/api/schema/')).status).toBe(200)
    expect((await get(service, '/api/docs/')).status).toBe(200)
  })
})
