import { describe, expect, it } from 'vitest'
import { peerOf } from './request.js'
import type { ServiceRequest } from './types.js'

/** A request as an adapter describes it: the socket's address and TLS state, and the raw headers. */
function request(
  headers: ServiceRequest['headers'],
  socket: { remoteAddress?: string; encrypted?: boolean } = {},
): ServiceRequest {
  return {
    method: 'GET',
    url: '/api/auth/me/',
    headers: { host: 'api.internal:8000', ...headers },
    remoteAddress: 'remoteAddress' in socket ? socket.remoteAddress : '10.0.0.2',
    encrypted: socket.encrypted ?? false,
    readBody: async () => null,
  }
}

// A client 203.0.113.7 that forges its own X-Forwarded-* headers, behind proxies that append their view.
const FORGED = '198.51.100.66'
const forged = (...appended: string[]) => [FORGED, ...appended].join(', ')

describe('peerOf', () => {
  it('reads only the socket and Host when no proxy is trusted (false or 0), whatever the headers claim', () => {
    const r = request(
      {
        'x-forwarded-for': forged('203.0.113.7'),
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example',
      },
      { encrypted: false },
    )
    for (const trust of [false, 0]) {
      expect(peerOf(r, trust)).toEqual({
        ip: '10.0.0.2',
        protocol: 'http',
        host: 'api.internal:8000',
      })
    }
  })

  it('with one proxy takes the right-most entry of each header: what that proxy saw, not what the client wrote', () => {
    const r = request({
      'x-forwarded-for': forged('203.0.113.7'),
      'x-forwarded-proto': 'http, https',
      'x-forwarded-host': 'evil.example, app.example.com',
    })
    expect(peerOf(r, 1)).toEqual({ ip: '203.0.113.7', protocol: 'https', host: 'app.example.com' })
    // A client that claims https through a proxy that saw plain http gets http.
    expect(peerOf(request({ 'x-forwarded-proto': 'https, http' }), 1).protocol).toBe('http')
  })

  it('with n proxies takes the n-th entry from the right (Express `trust proxy` n)', () => {
    // client → cdn (appends the client) → lb (appends the cdn) → this server (socket: the lb)
    const r = request({
      'x-forwarded-for': forged('203.0.113.7', '192.0.2.10'),
      'x-forwarded-proto': 'http, https, http',
      'x-forwarded-host': 'evil.example, app.example.com, lb.internal',
    })
    expect(peerOf(r, 2)).toEqual({ ip: '203.0.113.7', protocol: 'https', host: 'app.example.com' })
    expect(peerOf(r, 1)).toEqual({ ip: '192.0.2.10', protocol: 'http', host: 'lb.internal' })
    expect(peerOf(r, 3)).toEqual({ ip: FORGED, protocol: 'http', host: 'evil.example' })
  })

  it('takes the left-most entry when there are fewer entries than trusted proxies', () => {
    const r = request({ 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' })
    expect(peerOf(r, 3)).toEqual({
      ip: '203.0.113.7',
      protocol: 'https',
      host: 'api.internal:8000',
    })
  })

  it('with true trusts every hop and takes the left-most entry (the documented compatibility meaning)', () => {
    const r = request({
      'x-forwarded-for': forged('203.0.113.7'),
      'x-forwarded-proto': 'https, http',
    })
    expect(peerOf(r, true)).toEqual({ ip: FORGED, protocol: 'https', host: 'api.internal:8000' })
  })

  it('joins repeated header lines in order, so an appended second line is not skipped', () => {
    const r = request({
      'x-forwarded-for': [FORGED, '203.0.113.7'],
      'x-forwarded-proto': ['http', 'https'],
    })
    expect(peerOf(r, 1)).toMatchObject({ ip: '203.0.113.7', protocol: 'https' })
  })

  it('falls back to the socket, Host and TLS state when the headers are missing, empty or not addresses', () => {
    expect(peerOf(request({}, { encrypted: true }), 1)).toEqual({
      ip: '10.0.0.2',
      protocol: 'https',
      host: 'api.internal:8000',
    })
    for (const value of [
      '',
      ' ',
      '203.0.113.7, ',
      'unknown',
      '203.0.113.7<script>',
      '999.1.1.1',
      'a'.repeat(5000),
    ]) {
      expect(peerOf(request({ 'x-forwarded-for': value }), 1).ip).toBe('10.0.0.2')
    }
    expect(
      peerOf(request({ 'x-forwarded-proto': 'gopher' }, { encrypted: true }), 1).protocol,
    ).toBe('https')
    expect(peerOf(request({ 'x-forwarded-host': ' ' }), 1).host).toBe('api.internal:8000')
    // No socket address at all (Next.js route handlers) and no header: the empty address, one shared bucket.
    expect(peerOf(request({}, { remoteAddress: undefined }), 1).ip).toBe('')
  })

  it('accepts IPv6 and the host:port forms some proxies write, and returns the bare address', () => {
    const ip = (value: string) => peerOf(request({ 'x-forwarded-for': value }), 1).ip
    expect(ip('2001:db8::7')).toBe('2001:db8::7')
    expect(ip('[2001:db8::7]:51234')).toBe('2001:db8::7')
    expect(ip('203.0.113.7:51234')).toBe('203.0.113.7')
    expect(ip('[203.0.113.7]:1')).toBe('10.0.0.2')
    expect(ip('203.0.113.7:123456')).toBe('10.0.0.2')
  })
})
