import { describe, expect, it } from 'vitest'
import { describeDevice } from '../../src/admin/device.js'
import { USER_AGENTS } from '../user-agents.js'

describe('describeDevice', () => {
  it.each(USER_AGENTS)('labels %s as %j', (userAgent, label) => {
    expect(describeDevice(userAgent)).toBe(label)
  })

  it('says nothing it cannot tell, and never throws on hostile input', () => {
    expect(describeDevice('')).toBe('')
    expect(describeDevice('Mozilla/5.0 (compatible; MSIE 10.0)')).toBe('')
    // A bare "Safari/" without "Version/" is some other WebKit browser, not Safari.
    expect(describeDevice('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Safari/537.36')).toBe('Linux')
    expect(describeDevice(`${'Version/1 '.repeat(2000)}x`)).toBe('')
  })
})
