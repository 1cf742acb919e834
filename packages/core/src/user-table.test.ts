import { describe, expect, it } from 'vitest'
import { defineSettings, DEFAULT_SETTINGS } from './settings.js'
import { isDefaultUserTable, parseUserId } from './user-table.js'

const KEY = 'k'.repeat(64)
const userTable = (input: unknown, extra: Record<string, unknown> = {}) =>
  defineSettings({ signingKey: KEY, userTable: input as never, ...extra }).userTable

describe('userTable setting', () => {
  it("defaults to Django's auth_user", () => {
    const t = defineSettings({ signingKey: KEY }).userTable
    expect(t).toEqual(DEFAULT_SETTINGS.userTable)
    expect(t).toMatchObject({
      table: 'auth_user',
      idType: 'integer',
      booleans: 'native',
      activeStatus: null,
      passwordFormat: 'django',
    })
    expect(isDefaultUserTable(t, DEFAULT_SETTINGS.userTable)).toBe(true)
  })

  it('merges columns over the defaults; null drops an optional column', () => {
    const t = userTable({
      table: 'auth.users',
      idType: 'uuid',
      columns: { password: 'password_hash', email: null },
    })
    expect(t.columns).toMatchObject({
      id: 'id',
      username: 'username',
      password: 'password_hash',
      email: null,
      isActive: 'is_active',
    })
    expect(isDefaultUserTable(t, DEFAULT_SETTINGS.userTable)).toBe(false)
  })

  it('refuses bad values with ImproperlyConfigured naming the key', () => {
    const cases: [unknown, RegExp, Record<string, unknown>?][] = [
      [{ table: 'users; drop table x' }, /"userTable\.table" must be a table name/],
      [{ table: 'a.b.c' }, /"userTable\.table" must be a table name/],
      [{ idType: 'bigint' }, /"userTable\.idType" must be one of integer, uuid/],
      [{ booleans: 'yes' }, /"userTable\.booleans" must be one of native, integer/],
      [{ passwordFormat: 'bcrypt' }, /"userTable\.passwordFormat" must be one of django, phc/],
      [
        { passwordFormat: 'phc' },
        /PHC strings exist for 'argon2' and 'bcrypt' only/,
        { passwordHasher: 'pbkdf2_sha256' },
      ],
      [
        { columns: { password: null } },
        /"userTable\.columns\.password" must be a column name \(letters, digits, _\)$/,
      ],
      [
        { columns: { email: 'e-mail' } },
        /"userTable\.columns\.email" must be a column name \(letters, digits, _\) or null/,
      ],
      [
        { columns: { email: 'username' } },
        /"userTable\.columns\.username" and "userTable\.columns\.email" are both "username"/,
      ],
      [{ columns: { nick: 'x' } }, /unknown setting "userTable\.columns\.nick"/],
      [{ tabel: 'x' }, /unknown setting "userTable\.tabel"/],
      [{ activeStatus: { active: 'on', inactive: 'on' } }, /must differ/],
      [{ activeStatus: { active: 'on' } }, /must be non-empty strings or integers/],
      [
        { activeStatus: { active: 1, inactive: 0 }, columns: { isActive: null } },
        /needs a status column/,
      ],
      ['auth_user', /"userTable" must be an object/],
    ]
    for (const [input, message, extra] of cases) {
      expect(() => userTable(input, extra), JSON.stringify(input)).toThrow(message)
    }
  })

  it('accepts a status column and the PHC format with argon2 or bcrypt', () => {
    expect(
      userTable({ activeStatus: { active: 'active', inactive: 'banned' } }).activeStatus,
    ).toEqual({ active: 'active', inactive: 'banned' })
    expect(userTable({ passwordFormat: 'phc' }, { passwordHasher: 'bcrypt' }).passwordFormat).toBe(
      'phc',
    )
  })
})

describe('parseUserId', () => {
  it('reads integer ids as numbers and UUIDs as lower-case text; anything else is null', () => {
    expect(parseUserId('integer', 7)).toBe(7)
    expect(parseUserId('integer', '42')).toBe(42)
    for (const bad of [0, -1, 1.5, '07', '1e3', '', '9007199254740993', 'abc', null, {}])
      expect(parseUserId('integer', bad)).toBeNull()
    expect(parseUserId('uuid', '6F1C1A36-4A38-4E8E-9D0E-6A4B1B8E2C11')).toBe(
      '6f1c1a36-4a38-4e8e-9d0e-6a4b1b8e2c11',
    )
    for (const bad of [
      7,
      '6f1c1a364a384e8e9d0e6a4b1b8e2c11',
      '6f1c1a36-4a38-4e8e-9d0e-6a4b1b8e2c1',
      "' or 1=1 --",
    ]) {
      expect(parseUserId('uuid', bad)).toBeNull()
    }
  })
})
