import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import axios, { AxiosError } from 'axios'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { configureAxios } from './axios.js'

// A real HTTP server on a free port: /me/ answers 401 token_not_valid until /refresh/ is called.
let server: Server
let baseURL: string
const state = { accessOk: false, refreshOk: true, refreshes: 0, seen: [] as IncomingMessage[] }

beforeAll(async () => {
  server = createServer((req, res) => {
    state.seen.push(req)
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.url === '/api/auth/refresh/') {
      state.refreshes++
      if (!state.refreshOk)
        return send(401, { detail: 'Token is invalid', code: 'token_not_valid' })
      state.accessOk = true
      return setTimeout(() => send(200, { access_expires: new Date().toISOString() }), 20)
    }
    if (req.url === '/api/auth/me/') {
      if (!state.accessOk) return send(401, { detail: 'Token is expired', code: 'token_not_valid' })
      return send(200, { username: 'ada', csrf: req.headers['x-csrftoken'] ?? null })
    }
    if (req.url === '/api/forbidden/')
      return send(401, { detail: 'Nope', code: 'authentication_failed' })
    return send(404, { detail: 'Not found.', code: 'not_found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => Object.assign(state, { accessOk: false, refreshOk: true, refreshes: 0, seen: [] }))

describe('configureAxios', () => {
  it('sets withCredentials and Django’s XSRF cookie and header names', () => {
    const instance = configureAxios(axios.create({ baseURL }))
    expect(instance.defaults).toMatchObject({
      withCredentials: true,
      withXSRFToken: true,
      xsrfCookieName: 'csrftoken',
      xsrfHeaderName: 'X-CSRFToken',
    })
  })

  it('refreshes once on a 401 token_not_valid and retries the request', async () => {
    const instance = configureAxios(axios.create({ baseURL }))
    const res = await instance.get('/api/auth/me/')
    expect(res.data.username).toBe('ada')
    expect(state.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /api/auth/me/',
      'POST /api/auth/refresh/',
      'GET /api/auth/me/',
    ])
  })

  it('makes a single refresh for concurrent failures', async () => {
    const instance = configureAxios(axios.create({ baseURL }))
    const results = await Promise.all([1, 2, 3].map(() => instance.get('/api/auth/me/')))
    expect(results.map((r) => r.status)).toEqual([200, 200, 200])
    expect(state.refreshes).toBe(1)
  })

  it('gives up after a refused refresh without looping', async () => {
    state.refreshOk = false
    const instance = configureAxios(axios.create({ baseURL }))
    const error = (await instance.get('/api/auth/me/').catch((e: unknown) => e)) as AxiosError
    expect(error.response?.status).toBe(401)
    expect(state.refreshes).toBe(1)
    expect(state.seen).toHaveLength(2)
  })

  it('does not refresh on other 401 codes', async () => {
    const instance = configureAxios(axios.create({ baseURL }))
    await expect(instance.get('/api/forbidden/')).rejects.toMatchObject({
      response: { status: 401 },
    })
    expect(state.refreshes).toBe(0)
  })

  it('sends X-CSRFToken from the csrftoken cookie on unsafe methods only', async () => {
    state.accessOk = true
    const instance = configureAxios(axios.create({ baseURL }), {
      cookies: () => 'a=1; csrftoken=tok%2B1',
    })
    await instance.get('/api/auth/me/')
    await instance.post('/api/auth/me/').catch(() => undefined)
    expect(state.seen[0]?.headers['x-csrftoken']).toBeUndefined()
    expect(state.seen[1]?.headers['x-csrftoken']).toBe('tok+1')
  })

  it('can share the refresh of an AuthClient', async () => {
    let calls = 0
    const instance = configureAxios(axios.create({ baseURL }), {
      refresh: async () => {
        calls++
        state.accessOk = true
        return true
      },
    })
    expect((await instance.get('/api/auth/me/')).status).toBe(200)
    expect(calls).toBe(1)
    expect(state.refreshes).toBe(0)
  })
})
