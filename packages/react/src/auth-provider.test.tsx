import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { createFakeApi } from '../test/fake-api.js'
import { AuthProvider } from './auth-provider.js'
import { createAuthClient } from './client.js'
import { useAuth } from './use-auth.js'

function Probe() {
  const { status, user, api } = useAuth()
  return createElement('p', null, `${status}:${user?.username ?? 'nobody'}:${typeof api.request}`)
}

describe('AuthProvider and useAuth', () => {
  it('start in the loading state with the client as api', () => {
    const fake = createFakeApi()
    const client = createAuthClient({ fetch: fake.fetch, cookies: fake.cookies, crossTab: false })
    const html = renderToString(createElement(AuthProvider, { client }, createElement(Probe)))
    expect(html).toBe('<p>loading:nobody:function</p>')
    // Effects do not run on the server: no request was made while rendering.
    expect(fake.calls).toEqual([])
    client.close()
  })

  it('useAuth throws a clear error outside <AuthProvider>', () => {
    expect(() => renderToString(createElement(Probe))).toThrow(
      'useAuth() must be used inside <AuthProvider>',
    )
  })
})
