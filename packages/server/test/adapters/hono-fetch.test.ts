import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineSettings } from '@cookiejwt/core'
import { cookiejwt, notFound } from '@cookiejwt/hono'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createService, type CookiejwtService } from '../../src/service/service.js'
import { openDatabase } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { KyselyUserStore } from '../../src/storage/users.js'
import { fastHashers, PASSWORD, TEST_KEY } from '../helpers.js'

// The contract suite runs @cookiejwt/hono on @hono/node-server, which hands the adapter Node's own request. On the
// other runtimes (Bun, Deno, workers) there is only the standard Request: `app.request()` is that path.
describe('@cookiejwt/hono without @hono/node-server (a standard Request only)', () => {
  let dir: string
  let service: CookiejwtService
  let app: Hono

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cookiejwt-hono-fetch-'))
    const database = await openDatabase(`sqlite:${join(dir, 'db.sqlite3')}`)
    const { error } = await migrateToLatest(database)
    if (error) throw error
    const hashers = fastHashers()
    await new KyselyUserStore(database).create({ username: 'ada', password: await hashers.hash(PASSWORD) }, new Date())
    service = await createService(defineSettings({ signingKey: TEST_KEY }), { database, hashers, emailBackend: null })
    app = new Hono()
    app.use('*', cookiejwt(service))
    app.notFound(notFound(service))
  })
  afterAll(async () => {
    await service.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('logs in with one Set-Cookie header per cookie, then authenticates by the cookie', async () => {
    const login = await app.request('http://localhost/api/auth/login/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', password: PASSWORD }),
    })
    expect(login.status).toBe(200)
    const cookies = login.headers.getSetCookie()
    expect(cookies.map((c) => c.split('=')[0])).toEqual(['access_token', 'refresh_token', 'csrftoken'])
    const access = (cookies[0] as string).split(';')[0] as string
    const me = await app.request('http://localhost/api/auth/me/?x=1', { headers: { cookie: access } })
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ username: 'ada' })
    expect(me.headers.get('cache-control')).toBe('no-store')
    expect(me.headers.get('x-frame-options')).toBe('DENY')
  })

  it('answers without credentials 401, and an unknown API path with the DRF 404', async () => {
    const anonymous = await app.request('http://localhost/api/auth/me/')
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ code: 'not_authenticated' })
    const missing = await app.request('http://localhost/api/nothing/')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ detail: 'Not found.', code: 'not_found' })
  })
})
