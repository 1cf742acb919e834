import { describe, expect, it } from 'vitest'
import { ariaSort, nextOrdering, parseAuditQuery, parseUserQuery } from './query.js'

describe('parseUserQuery', () => {
  it('reads search, flags, ordering, cursor and page size from the address', () => {
    const params = new URLSearchParams(
      'search=%20ada%20&is_active=false&is_staff=true&ordering=-date_joined&cursor=abc&page_size=50',
    )
    expect(parseUserQuery(params)).toEqual({
      search: 'ada',
      is_active: false,
      is_staff: true,
      ordering: '-date_joined',
      cursor: 'abc',
      page_size: 50,
    })
  })

  it('drops values the table cannot ask for', () => {
    const params = new URLSearchParams(
      'search=%20&is_active=yes&is_superuser=1&ordering=password&page_size=1000',
    )
    expect(parseUserQuery(params)).toEqual({})
    expect(parseUserQuery(new URLSearchParams('ordering=--username&page_size=7'))).toEqual({})
  })
})

describe('parseAuditQuery', () => {
  it('keeps non-empty actor, target, action and cursor', () => {
    expect(
      parseAuditQuery(new URLSearchParams('actor=1&target=&action=user.update&cursor=x')),
    ).toEqual({ actor: '1', action: 'user.update', cursor: 'x' })
  })
})

describe('ordering of a column', () => {
  it('goes ascending, then descending, then ascending again', () => {
    expect(nextOrdering(undefined, 'username')).toBe('username')
    expect(nextOrdering('username', 'username')).toBe('-username')
    expect(nextOrdering('-username', 'username')).toBe('username')
    expect(nextOrdering('-username', 'email')).toBe('email')
  })

  it('marks only the sorted column with aria-sort', () => {
    expect(ariaSort('email', 'email')).toBe('ascending')
    expect(ariaSort('-email', 'email')).toBe('descending')
    expect(ariaSort('username', 'email')).toBeUndefined()
    expect(ariaSort(undefined, 'email')).toBeUndefined()
  })
})
