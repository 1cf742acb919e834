/**
 * Cross-checks against the real Django stack: hashes made by Django's `make_password()` verify
 * here, and hashes written here pass Django's `check_password()`.
 *
 * Needs Debian's python3-django, python3-argon2 and python3-bcrypt (`.ci/run` installs them).
 * Without them this file FAILS (never skips) and says what to install.
 */
import { spawnSync } from 'node:child_process'

import { beforeAll, describe, expect, it } from 'vitest'

import { createPasswordHashers } from './index.js'

const INSTALL =
  'apt-get install -y python3-django python3-argon2 python3-bcrypt (Debian packages; PyPI is not used)'

/** A python3 that can import Django, argon2-cffi and bcrypt, or an explanation of what is missing. */
function findDjangoPython(): { python: string } | { error: string } {
  const errors: string[] = []
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(
      python,
      ['-c', 'import django, argon2, bcrypt; print(django.__version__)'],
      {
        encoding: 'utf8',
      },
    )
    if (r.status === 0) return { python }
    errors.push(`${python}: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`)
  }
  return {
    error: `Django password hashers not available (${errors.join('; ')}). Install: ${INSTALL}`,
  }
}

// Runs in Django: make hashes with each hasher, and check the ones we send.
const DJANGO_SCRIPT = String.raw`
import base64, hashlib, json, sys
from django.conf import settings
settings.configure(PASSWORD_HASHERS=[
    'django.contrib.auth.hashers.Argon2PasswordHasher',
    'django.contrib.auth.hashers.PBKDF2PasswordHasher',
    'django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher',
    'django.contrib.auth.hashers.BCryptSHA256PasswordHasher',
    'django.contrib.auth.hashers.BCryptPasswordHasher',
] + (['django.contrib.auth.hashers.ScryptPasswordHasher'] if __import__('django').VERSION >= (4, 0) else []))
import django
from django.contrib.auth import hashers
req = json.load(sys.stdin)
out = {'version': django.get_version(), 'made': [], 'checked': []}
for item in req['make']:
        pw, name = item['password'], item['algorithm']
        if name == 'scrypt' and django.VERSION < (4, 0):
            # Django 3.2 has no scrypt hasher: Django 4's ScryptPasswordHasher.encode, verbatim logic.
            salt = hashers.get_random_string(22)
            key = hashlib.scrypt(pw.encode(), salt=salt.encode(), n=2**14, r=8, p=1, maxmem=0, dklen=64)
            encoded = 'scrypt$%d$%s$%d$%d$%s' % (2**14, salt, 8, 1, base64.b64encode(key).decode('ascii').strip())
        else:
            encoded = hashers.make_password(pw, hasher=name)
        out['made'].append({'password': pw, 'algorithm': name, 'encoded': encoded})
for item in req['check']:
    if item['encoded'].startswith('scrypt$') and django.VERSION < (4, 0):
        continue  # no ScryptPasswordHasher before Django 4.0: checked with hashlib.scrypt instead
    ok = hashers.check_password(item['password'], item['encoded'])
    bad = hashers.check_password('x' + item['password'], item['encoded'])
    out['checked'].append({'encoded': item['encoded'], 'ok': ok, 'bad': bad,
                           'djangoMustUpdate': hashers.identify_hasher(item['encoded']).must_update(item['encoded'])})
print(json.dumps(out))
`

interface DjangoResult {
  version: string
  made: { password: string; algorithm: string; encoded: string }[]
  checked: { encoded: string; ok: boolean; bad: boolean; djangoMustUpdate: boolean }[]
}

function runDjango(python: string, request: unknown): DjangoResult {
  const r = spawnSync(python, ['-c', DJANGO_SCRIPT], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
  })
  if (r.status !== 0) throw new Error(`Django script failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as DjangoResult
}

const SHORT = 'correct horse'
const LONG = 'lètmein 🔑 ' + 'x'.repeat(100) // over bcrypt's 72 bytes
const DJANGO_ALGORITHMS = [
  'argon2',
  'pbkdf2_sha256',
  'pbkdf2_sha1',
  'bcrypt_sha256',
  'bcrypt',
  'scrypt',
]
// Each algorithm once with a short, non-ASCII-free password and once with a long Unicode one;
// only the bcrypt pair needs both (truncation), the rest alternate to keep the suite fast.
const CASES = DJANGO_ALGORITHMS.flatMap((algorithm, i) =>
  algorithm.startsWith('bcrypt')
    ? [
        { algorithm, password: SHORT },
        { algorithm, password: LONG },
      ]
    : [{ algorithm, password: i % 2 ? SHORT : LONG }],
)

// Real Django costs (argon2 at 100 MiB, bcrypt at 2^12) take seconds on a busy 2-core machine.
describe('real Django interop', { timeout: 120_000 }, () => {
  let python = ''
  beforeAll(() => {
    const found = findDjangoPython()
    if ('error' in found) throw new Error(found.error)
    python = found.python
  })

  it("verifies every hash Django's make_password() writes, and asks to upgrade non-default ones", async () => {
    const result = runDjango(python, { make: CASES, check: [] })
    expect(result.made).toHaveLength(CASES.length)
    const hashers = createPasswordHashers()
    // In parallel: each check runs on libuv's thread pool.
    await Promise.all(
      result.made.map(async ({ password, algorithm, encoded }) => {
        const label = `${algorithm} (Django ${result.version})`
        expect(encoded.startsWith(`${algorithm}$`), label).toBe(true)
        const [check, wrong] = await Promise.all([
          hashers.verify(password, encoded),
          hashers.verify('x' + password, encoded),
        ])
        expect(check.valid, label).toBe(true)
        // Everything but argon2 is another algorithm; Django's argon2 params differ from ours.
        expect(check.mustUpdate, label).toBe(true)
        expect(wrong.valid, label).toBe(false)
      }),
    )
    // Plain bcrypt truncates at 72 bytes, as in Django; bcrypt_sha256 does not.
    const long = result.made.find((m) => m.algorithm === 'bcrypt' && m.password.length > 72)!
    expect((await hashers.verify(long.password.slice(0, 72) + 'zz', long.encoded)).valid).toBe(true)
    const long256 = result.made.find(
      (m) => m.algorithm === 'bcrypt_sha256' && m.password.length > 72,
    )!
    expect(
      (await hashers.verify(long256.password.slice(0, 72) + 'zz', long256.encoded)).valid,
    ).toBe(false)
  })

  it("writes hashes Django's check_password() accepts, for every algorithm", async () => {
    const check: { password: string; encoded: string }[] = []
    await Promise.all(
      CASES.map(async ({ algorithm, password }) => {
        const hashers = createPasswordHashers({ default: algorithm, bcryptRounds: 4 })
        check.push({ password, encoded: await hashers.hash(password) })
      }),
    )
    const result = runDjango(python, { make: [], check })
    const skipped = /^[4-9]/.test(result.version) ? 0 : 1 // scrypt, Django < 4
    expect(result.checked).toHaveLength(check.length - skipped)
    for (const c of result.checked) {
      const algorithm = c.encoded.split('$')[0]!
      expect(c.ok, `${algorithm} accepted by Django ${result.version}`).toBe(true)
      expect(c.bad, `${algorithm} wrong password refused by Django`).toBe(false)
    }
  })

  it('writes argon2 Django does not re-hash when the parameters match its own', async () => {
    // Django 3.2 + argon2-cffi 21.1: m=102400, t=2, p=8, 16-byte hash.
    const version = runDjango(python, { make: [], check: [] }).version
    const hashers = createPasswordHashers({
      argon2: {
        memoryCost: 102400,
        timeCost: 2,
        parallelism: 8,
        hashLength: version.startsWith('3.') ? 16 : 32,
      },
    })
    const encoded = await hashers.hash('same params')
    const [c] = runDjango(python, {
      make: [],
      check: [{ password: 'same params', encoded }],
    }).checked
    expect(c).toMatchObject({ ok: true, bad: false, djangoMustUpdate: false })
  })

  it('writes scrypt in the layout hashlib.scrypt reproduces (Django 4 ScryptPasswordHasher)', async () => {
    const encoded = await createPasswordHashers({ default: 'scrypt' }).hash('lètmein')
    const [, n, salt, r, p, key] = encoded.split('$')
    const script = `import base64,hashlib,sys; print(base64.b64encode(hashlib.scrypt('lètmein'.encode(), salt=sys.argv[1].encode(), n=${n}, r=${r}, p=${p}, maxmem=0, dklen=64)).decode())`
    const out = spawnSync(python, ['-c', script, salt!], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
    })
    expect(out.stdout.trim()).toBe(key)
  })
})
