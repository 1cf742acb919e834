import { describe, expect, it } from 'vitest'
import { USER_AGENTS } from '../../../../packages/server/test/user-agents.js'
import { describeDevice, describeParty, formatDate, listChanges, partyId } from './format.js'

describe('describeDevice', () => {
  // The same real user agents as the server's labeller: an audit row and a session row of one browser agree.
  it.each(USER_AGENTS)('labels %s as %j', (userAgent, label) => {
    expect(describeDevice(null, userAgent)).toBe(label)
  })

  it('names the browser and system of common user agents', () => {
    expect(
      describeDevice(
        null,
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      ),
    ).toBe('Chrome on Linux')
    expect(
      describeDevice(
        null,
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1',
      ),
    ).toBe('Safari on iOS')
    expect(
      describeDevice(null, 'Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0'),
    ).toBe('Firefox on Windows')
    expect(describeDevice(null, 'curl/8.5.0')).toBe('curl')
  })

  it('prefers the server’s device, and says so when nothing is known', () => {
    expect(describeDevice('Pixel 8', 'anything')).toBe('Pixel 8')
    expect(describeDevice(null, null)).toBe('Unknown device')
    expect(describeDevice(undefined, 'x'.repeat(80))).toBe(`${'x'.repeat(57)}…`)
  })
})

describe('audit parties and changes', () => {
  it('describes a user, the CLI and a missing actor', () => {
    expect(describeParty({ id: 2, username: 'ada' })).toBe('ada (#2)')
    expect(describeParty({ id: null, username: 'cli:root' })).toBe('cli:root')
    expect(describeParty({ id: 7, username: '' })).toBe('#7')
    expect(describeParty(null)).toBe('—')
    expect(partyId({ id: 2, username: 'ada' })).toBe('2')
    expect(partyId({ id: null, username: 'cli' })).toBeNull()
    expect(partyId(null)).toBeNull()
  })

  it('lists changed fields in a stable order with old and new values', () => {
    expect(
      listChanges({
        is_active: { old: true, new: false },
        email: { old: '', new: 'a@example.com' },
        last_name: { old: null, new: 'Byron' },
      }),
    ).toEqual(['email: "" → a@example.com', 'is_active: true → false', 'last_name: ∅ → Byron'])
    expect(listChanges(null)).toEqual([])
  })

  it('formats a missing date with the given word and keeps an unparsable one as it is', () => {
    expect(formatDate(null)).toBe('Never')
    expect(formatDate(null, '—')).toBe('—')
    expect(formatDate('not a date')).toBe('not a date')
    expect(formatDate('2026-12-02T10:00:00Z')).toMatch(/2026/)
  })
})
