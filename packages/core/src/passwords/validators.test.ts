/**
 * The password rules against the real Django: every case of the table, and a few hundred generated ones, get the
 * same verdict and the same messages, in the same order, from Django's `validate_password()` (Django's defaults,
 * `CommonPasswordValidator` pointed at the list this package ships, which is Django's own file).
 *
 * Needs Debian's python3-django (`.ci/run` installs it); without it this file FAILS (never skips) and says so.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { defineSettings } from '../settings.js'
import { DEFAULT_PASSWORD_LIST_PATH, loadPasswordList } from './common-passwords.js'
import { quickRatio } from './similarity.js'
import { MAX_PASSWORD_LENGTH, validatePassword, type PasswordContext } from './validators.js'

const KEY = 'k'.repeat(32)

function findDjangoPython(): { python: string } | { error: string } {
  const errors: string[] = []
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import django; print(django.__version__)'], {
      encoding: 'utf8',
    })
    if (r.status === 0) return { python }
    errors.push(`${python}: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`)
  }
  return {
    error: `Django not available (${errors.join('; ')}). Install: apt-get install -y python3-django`,
  }
}

interface Case {
  password: string
  user: PasswordContext | null
  /** Django's validator options for this case; the same go to passwordValidators. */
  config?: { minLength?: number; maxSimilarity?: number }
}

const DJANGO_SCRIPT = String.raw`
import json, sys
from django.conf import settings
list_path = sys.argv[1]
settings.configure(INSTALLED_APPS=['django.contrib.auth', 'django.contrib.contenttypes'], USE_I18N=False)
import django
django.setup()
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import (validate_password, UserAttributeSimilarityValidator,
    MinimumLengthValidator, CommonPasswordValidator, NumericPasswordValidator)
from django.core.exceptions import ValidationError
common = CommonPasswordValidator(password_list_path=list_path)
out = []
for case in json.load(sys.stdin):
    config = case.get('config') or {}
    validators = [UserAttributeSimilarityValidator(max_similarity=config.get('maxSimilarity', 0.7)),
                  MinimumLengthValidator(min_length=config.get('minLength', 8)), common, NumericPasswordValidator()]
    u = case['user']
    user = None if u is None else User(username=u.get('username', ''), email=u.get('email', ''),
                                       first_name=u.get('firstName', ''), last_name=u.get('lastName', ''))
    try:
        validate_password(case['password'], user, password_validators=validators)
        out.append([])
    except ValidationError as e:
        out.append(list(e.messages))
json.dump({'version': django.get_version(), 'results': out}, sys.stdout)
`

const ada = {
  username: 'ada_lovelace',
  email: 'ada.lovelace@example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
}
const TABLE: Case[] = [
  { password: '', user: null },
  { password: 'a', user: null },
  { password: 'short1', user: null },
  { password: '1234567', user: null },
  { password: '12345678', user: null },
  { password: '98172634', user: null },
  { password: '²³¹⁰⁴⁵⁶⁷', user: null },
  { password: '①②③④⑤⑥⑦⑧', user: null },
  { password: '١٢٣٤٥٦٧٨٩', user: null },
  { password: '½½½½½½½½', user: null },
  { password: 'password', user: null },
  { password: 'PASSWORD', user: null },
  { password: '  Password  ', user: null },
  { password: 'iloveyou', user: null },
  { password: 'qwertyuiop', user: null },
  { password: 'sunshine', user: null },
  { password: 'mewtwo', user: null },
  { password: 'bigpimpin1', user: null },
  { password: 'correct horse battery staple', user: null },
  { password: 'Tr0ub4dor&3', user: null },
  { password: 'kangaroo-pocket-42', user: null },
  { password: 'ada_lovelace', user: ada },
  { password: 'ADA_LOVELACE!', user: ada },
  { password: 'lovelace1815', user: ada },
  { password: 'adalovelace', user: ada },
  { password: 'ada.lovelace@example.com', user: ada },
  { password: 'example.com', user: ada },
  { password: 'examples', user: ada },
  { password: 'analytical engine', user: ada },
  { password: 'velocelaa', user: ada },
  { password: 'Lovelace', user: ada },
  { password: 'x'.repeat(40) + 'ada', user: ada },
  { password: 'zq8#Lw!p', user: ada },
  { password: 'grace', user: { username: 'grace', email: '' } },
  { password: 'gracehopper', user: { username: 'grace', email: 'grace@navy.mil' } },
  { password: 'navy.mil.2024', user: { username: 'grace', email: 'grace@navy.mil' } },
  { password: '12345678', user: { username: '12345678' } },
  { password: 'Ünïcödé-Pässwörd', user: { username: 'ünïcödé' } },
  { password: 'straße-1234', user: { username: 'STRASSE' } },
  { password: 'ΣΊΣΥΦΟΣ-ΜΎΘΟΣ', user: { username: 'σίσυφος' } },
  { password: '日本語のパスワード', user: { username: '日本語' } },
  { password: 'emoji🔑🔑🔑🔑', user: { username: '🔑🔑' } },
  { password: 'abc', user: { username: 'abc' }, config: { minLength: 1 } },
  { password: 'abcdefghijk', user: null, config: { minLength: 12 } },
  { password: 'abcdefghijkl', user: null, config: { minLength: 12 } },
  { password: 'x', user: null, config: { minLength: 1 } },
  { password: 'lovelace-analyst', user: ada, config: { maxSimilarity: 0.5 } },
  { password: 'lovelace-analyst', user: ada, config: { maxSimilarity: 1 } },
  { password: 'ada', user: ada, config: { maxSimilarity: 0.1 } },
]

// Deterministic pseudo-random cases over a small alphabet, so similarity, length and digit rules all fire.
function generated(count: number): Case[] {
  let seed = 0x2545f491
  const next = () => {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 0x100000000
  }
  const alphabet = 'adelovcxyz019_.@- ÄäßΣ'
  const word = (max: number) =>
    Array.from(
      { length: Math.floor(next() * max) },
      () => alphabet[Math.floor(next() * alphabet.length)],
    ).join('')
  return Array.from({ length: count }, () => ({
    password: word(16),
    user:
      next() < 0.1
        ? null
        : {
            username: word(10),
            email: `${word(6)}@${word(6)}`,
            firstName: word(5),
            lastName: word(7),
          },
  }))
}

describe('password rules against Django', () => {
  let django: { version: string; results: string[][] } | { error: string }
  const cases = [...TABLE, ...generated(400)]

  beforeAll(() => {
    const found = findDjangoPython()
    if ('error' in found) {
      django = found
      return
    }
    const r = spawnSync(found.python, ['-c', DJANGO_SCRIPT, DEFAULT_PASSWORD_LIST_PATH], {
      input: JSON.stringify(cases),
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    })
    django = r.status === 0 ? JSON.parse(r.stdout) : { error: `Django script failed: ${r.stderr}` }
  }, 60_000)

  it('gives every password of the table and the generated cases the same messages as Django', () => {
    if ('error' in django) throw new Error(django.error)
    const theirs = django.results
    const ours = cases.map((c) => {
      const rules = defineSettings({
        signingKey: KEY,
        passwordValidators: {
          minimumLength: { minLength: c.config?.minLength ?? 8 },
          userAttributeSimilarity: { maxSimilarity: c.config?.maxSimilarity ?? 0.7 },
        },
      }).passwordValidators
      return validatePassword(c.password, rules, c.user)
    })
    const mismatches = cases
      .map((c, i) => ({
        password: c.password,
        user: c.user,
        ours: ours[i],
        django: theirs[i],
      }))
      .filter((m) => JSON.stringify(m.ours) !== JSON.stringify(m.django))
    expect(mismatches).toEqual([])
    // The table is not vacuous: each rule fires somewhere.
    const all = ours.flat()
    for (const message of [
      'This password is too common.',
      'This password is entirely numeric.',
      'This password is too short. It must contain at least 8 characters.',
      'The password is too similar to the username.',
      'The password is too similar to the email address.',
      'The password is too similar to the last name.',
    ]) {
      expect(all).toContain(message)
    }
  })
})

describe('password rules', () => {
  const defaults = defineSettings({ signingKey: KEY }).passwordValidators

  it('ships a common-password list of Django’s size', () => {
    expect(loadPasswordList().size).toBeGreaterThan(19_700)
    expect(loadPasswordList().has('password')).toBe(true)
  })

  it('reports the rules in Django’s order', () => {
    expect(validatePassword('1234', defaults, { username: '1234' })).toEqual([
      'The password is too similar to the username.',
      'This password is too short. It must contain at least 8 characters.',
      'This password is too common.',
      'This password is entirely numeric.',
    ])
  })

  it('turns each rule off on its own', () => {
    const off = (
      rule: 'userAttributeSimilarity' | 'minimumLength' | 'commonPassword' | 'numeric',
    ) =>
      defineSettings({ signingKey: KEY, passwordValidators: { [rule]: { enabled: false } } })
        .passwordValidators
    expect(
      validatePassword('1234', off('userAttributeSimilarity'), { username: '1234' }),
    ).not.toContain('The password is too similar to the username.')
    expect(validatePassword('1234', off('minimumLength'), null)).toEqual([
      'This password is too common.',
      'This password is entirely numeric.',
    ])
    expect(validatePassword('12345678', off('commonPassword'), null)).toEqual([
      'This password is entirely numeric.',
    ])
    expect(validatePassword('12345678', off('numeric'), null)).toEqual([
      'This password is too common.',
    ])
  })

  it('says "character" for a minimum length of one', () => {
    const rules = defineSettings({
      signingKey: KEY,
      passwordValidators: { minimumLength: { minLength: 1 } },
    })
    expect(validatePassword('', rules.passwordValidators, null)).toContain(
      'This password is too short. It must contain at least 1 character.',
    )
  })

  it('reads an operator’s own plain-text list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-pw-'))
    const file = join(dir, 'list.txt')
    writeFileSync(file, 'zebra-crossing-77\n  another-one  \n')
    const rules = defineSettings({
      signingKey: KEY,
      passwordValidators: { commonPassword: { passwordListPath: file } },
    })
    expect(validatePassword('Zebra-Crossing-77', rules.passwordValidators, null)).toEqual([
      'This password is too common.',
    ])
    expect(validatePassword('another-one', rules.passwordValidators, null)).toEqual([
      'This password is too common.',
    ])
    expect(validatePassword('password', rules.passwordValidators, null)).toEqual([])
  })

  it('refuses passwords longer than the hashing guard before any rule', () => {
    expect(
      validatePassword('a'.repeat(MAX_PASSWORD_LENGTH + 1), defaults, { username: 'a' }),
    ).toEqual([
      `This password is too long. It must contain at most ${MAX_PASSWORD_LENGTH} characters.`,
    ])
  })

  it('computes difflib’s quick_ratio', () => {
    expect(quickRatio([...'abcd'], [...'bcde'])).toBe(0.75)
    expect(quickRatio([], [])).toBe(1)
    expect(quickRatio([...'aa'], [...'a'])).toBeCloseTo(2 / 3)
  })

  it('names the bad setting at start-up', () => {
    expect(() =>
      defineSettings({
        signingKey: KEY,
        passwordValidators: { userAttributeSimilarity: { maxSimilarity: 0.05 } },
      }),
    ).toThrow(
      '"passwordValidators.userAttributeSimilarity.maxSimilarity" must be a number of at least 0.1',
    )
    expect(() =>
      defineSettings({ signingKey: KEY, passwordValidators: { minimumLength: { minLength: 0 } } }),
    ).toThrow(
      '"passwordValidators.minimumLength.minLength" must be a whole number greater than zero',
    )
    expect(() =>
      defineSettings({
        signingKey: KEY,
        passwordValidators: { commonPassword: { passwordListPath: '/nonexistent/list' } },
      }),
    ).toThrow(
      '"passwordValidators.commonPassword.passwordListPath" names a file that does not exist: /nonexistent/list',
    )
    expect(() => defineSettings({ signingKey: KEY, passwordMinLength: 10 } as never)).toThrow(
      'unknown setting "passwordMinLength": use "passwordValidators.minimumLength.minLength"',
    )
    expect(() =>
      defineSettings({
        signingKey: KEY,
        passwordValidators: { numeric: { strict: true } },
      } as never),
    ).toThrow('unknown setting "passwordValidators.numeric.strict"')
  })
})
