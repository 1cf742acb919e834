import { describe, expect, it } from 'vitest'

import { Argon2Hasher, MAX_PASSWORD_LENGTH, Pbkdf2Hasher, createPasswordHashers } from './index.js'

// Cheap costs so the suite stays fast; the defaults are checked separately.
const CHEAP = { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 }, pbkdf2Iterations: 1000 }
const PW = 'lètmein 🔑'

/*
 * Vectors computed independently with Python (hashlib and argon2-cffi 21.1, Debian 12):
 *   /usr/bin/python3 -c "import hashlib,base64; print('pbkdf2_sha256$1000$seasalt$' + base64.b64encode(
 *     hashlib.pbkdf2_hmac('sha256', 'lètmein 🔑'.encode(), b'seasalt', 1000)).decode())"   (same with sha1)
 *   /usr/bin/python3 -c "from argon2.low_level import hash_secret, Type; print('argon2' + hash_secret(
 *     'lètmein 🔑'.encode(), b'somesaltsomesalt', time_cost=1, memory_cost=1024, parallelism=1,
 *     hash_len=16, type=Type.ID).decode())"   (and the variants below: Type.I, version=0x10, hash_len=32)
 */
const VECTORS = {
  pbkdf2_sha256: 'pbkdf2_sha256$1000$seasalt$rm4xNGznWUi/NcYgguI9Fx1GzxmmnVaA8KPX69eUAvE=',
  pbkdf2_sha1: 'pbkdf2_sha1$1000$seasalt$lP7HAae4EESoFajTyJRB/7hpbHM=',
  pbkdf2NullByte: 'pbkdf2_sha256$1$NaCl$l1jHDGjFiJEY+Q3+K2wUvLglE53OPlgfRXyLX3AuZYw=', // 'pass\0word'
  argon2id: 'argon2$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ab1XSOzsjZMGKeJriqEIfQ',
  // 'secret', Django 1.10–1.11-era argon2i, with and without the version field (v=16 implied).
  argon2i: 'argon2$argon2i$v=19$m=512,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$z4w2sb4GqCH1rEpxtIfk1w',
  argon2iV16: 'argon2$argon2i$m=512,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$JyOGlPSWr90WFmWjOd3qhQ',
  // PW, Django-length salt 'abcdefghijklmnopqrstuv', m=1024,t=1,p=1, 16-byte hash
  argon2id22:
    'argon2$argon2id$v=19$m=1024,t=1,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$YHdylmB0CGMmbRO34WGHIw',
  // 'secret', 32-byte hash, p=2
  argon2id32:
    'argon2$argon2id$v=19$m=1024,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$T6fVKlfDxI/9AgbSCBvJFwRYylSfKrqsVXqCVV7Ty2I',
}

describe('Django-format vectors', () => {
  const hashers = createPasswordHashers(CHEAP)

  it('verifies pbkdf2_sha256 and pbkdf2_sha1 vectors from hashlib', async () => {
    expect(await hashers.verify(PW, VECTORS.pbkdf2_sha256)).toMatchObject({ valid: true })
    expect(await hashers.verify(PW, VECTORS.pbkdf2_sha1)).toMatchObject({ valid: true })
    expect(await hashers.verify('pass\0word', VECTORS.pbkdf2NullByte)).toMatchObject({
      valid: true,
    })
    expect((await hashers.verify('pass', VECTORS.pbkdf2NullByte)).valid).toBe(false)
    expect((await hashers.verify('lètmein 🔒', VECTORS.pbkdf2_sha256)).valid).toBe(false)
  })

  it('verifies argon2id, argon2i and the version-less argon2i layout from argon2-cffi', async () => {
    expect((await hashers.verify(PW, VECTORS.argon2id)).valid).toBe(true)
    expect((await hashers.verify('secret', VECTORS.argon2i)).valid).toBe(true)
    expect((await hashers.verify('secret', VECTORS.argon2iV16)).valid).toBe(true)
    expect((await hashers.verify('secret', VECTORS.argon2id32)).valid).toBe(true)
    expect((await hashers.verify('Secret', VECTORS.argon2i)).valid).toBe(false)
    expect((await hashers.verify('secret', VECTORS.argon2id)).valid).toBe(false)
  })

  it('rejects a vector whose last hash byte is flipped', async () => {
    const bad = VECTORS.argon2id.replace(/Q$/, 'g')
    expect((await hashers.verify(PW, bad)).valid).toBe(false)
    const badPb = VECTORS.pbkdf2_sha256.replace('AvE=', 'AvF=')
    expect((await hashers.verify(PW, badPb)).valid).toBe(false)
  })
})

describe('writing hashes', { timeout: 30_000 }, () => {
  it('writes argon2id in the m=,t=,p= order Django and libargon2 parse, and reads it back', async () => {
    const hashers = createPasswordHashers(CHEAP)
    expect(hashers.defaultAlgorithm).toBe('argon2')
    const encoded = await hashers.hash(PW)
    expect(encoded).toMatch(
      /^argon2\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{30}\$[A-Za-z0-9+/]{43}$/,
    )
    // Django's salt: 22 characters of [a-zA-Z0-9], base64-encoded.
    const salt = Buffer.from(encoded.split('$')[4]!, 'base64').toString('latin1')
    expect(salt).toMatch(/^[A-Za-z0-9]{22}$/)
    expect(await hashers.verify(PW, encoded)).toEqual({ valid: true, mustUpdate: false })
    expect((await hashers.verify(PW + ' ', encoded)).valid).toBe(false)
    expect(await hashers.hash(PW)).not.toBe(encoded) // fresh salt every time
  })

  it('writes pbkdf2_sha256 as Django does when it is the default', async () => {
    const hashers = createPasswordHashers({ ...CHEAP, default: 'pbkdf2_sha256' })
    const encoded = await hashers.hash(PW)
    expect(encoded).toMatch(/^pbkdf2_sha256\$1000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$/)
    expect(await hashers.verify(PW, encoded)).toEqual({ valid: true, mustUpdate: false })
  })

  it('uses OWASP-or-stronger defaults', async () => {
    const encoded = await new Argon2Hasher().encode('x')
    expect(encoded).toMatch(/^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(Buffer.from(encoded.split('$')[5]!, 'base64')).toHaveLength(32)
    expect(new Pbkdf2Hasher().mustUpdate('pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$AAAA')).toBe(
      true,
    )
    expect(new Pbkdf2Hasher().mustUpdate('pbkdf2_sha256$1000000$abcdefghijklmnopqrstuv$AAAA')).toBe(
      false,
    )
  })
})

describe('mustUpdate (Django rules)', () => {
  const hashers = createPasswordHashers(CHEAP)

  it('asks to re-hash another algorithm after a successful check only', async () => {
    expect(await hashers.verify(PW, VECTORS.pbkdf2_sha256)).toEqual({
      valid: true,
      mustUpdate: true,
    })
    expect(await hashers.verify('nope', VECTORS.pbkdf2_sha256)).toEqual({
      valid: false,
      mustUpdate: false,
    })
  })

  it('asks to re-hash argon2 with other parameters, variant or hash length', async () => {
    // m=1024,t=1,p=1 and 16-byte hash: only the hash length differs from CHEAP.
    expect(await hashers.verify(PW, VECTORS.argon2id)).toEqual({ valid: true, mustUpdate: true })
    const same16 = createPasswordHashers({ argon2: { ...CHEAP.argon2, hashLength: 16 } })
    expect(await same16.verify(PW, VECTORS.argon2id22)).toEqual({ valid: true, mustUpdate: false })
    // A 16-byte salt is under Django's 128-bit floor (16 × log2(62) ≈ 95 bits): re-hash.
    expect(await same16.verify(PW, VECTORS.argon2id)).toEqual({ valid: true, mustUpdate: true })
    expect((await same16.verify('secret', VECTORS.argon2i)).mustUpdate).toBe(true)
    const h = new Argon2Hasher({ memoryCost: 2048, timeCost: 1, parallelism: 1 })
    expect(h.mustUpdate(await new Argon2Hasher(CHEAP.argon2).encode('x'))).toBe(true)
    expect(h.mustUpdate(await h.encode('x'))).toBe(false)
  })

  it('asks to re-hash pbkdf2 with another iteration count or a short salt', async () => {
    const pb = createPasswordHashers({ default: 'pbkdf2_sha256', pbkdf2Iterations: 1000 })
    expect(await pb.verify(PW, VECTORS.pbkdf2_sha256)).toEqual({ valid: true, mustUpdate: true })
    const h = new Pbkdf2Hasher('sha256', 1000)
    expect(h.mustUpdate('pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$AAAA')).toBe(false)
    expect(h.mustUpdate('pbkdf2_sha256$999$abcdefghijklmnopqrstuv$AAAA')).toBe(true)
    expect(h.mustUpdate('pbkdf2_sha256$1000$seasalt$AAAA')).toBe(true) // 7 chars < 128 bits
  })
})

describe('unusable passwords and hostile input', () => {
  const hashers = createPasswordHashers(CHEAP)

  it('makes and recognises unusable passwords like Django', async () => {
    const u = hashers.makeUnusable()
    expect(u).toMatch(/^![A-Za-z0-9]{40}$/)
    expect(hashers.makeUnusable()).not.toBe(u)
    expect(hashers.isUsable(u)).toBe(false)
    expect(hashers.isUsable(null)).toBe(false)
    expect(hashers.isUsable(undefined)).toBe(false)
    expect(hashers.isUsable('')).toBe(false)
    expect(hashers.isUsable(VECTORS.argon2id)).toBe(true)
    expect(await hashers.verify(u, u)).toEqual({ valid: false, mustUpdate: false })
    expect(await hashers.verify('', '!')).toEqual({ valid: false, mustUpdate: false })
  })

  it('never throws on garbage stored values', async () => {
    const garbage = [
      null,
      undefined,
      '',
      '$',
      'argon2',
      'argon2$',
      'md5$salt$hash',
      'pbkdf2_sha256$$salt$hash',
      'pbkdf2_sha256$-1$salt$AAAA',
      'pbkdf2_sha256$0$salt$AAAA',
      'pbkdf2_sha256$1e3$salt$AAAA',
      'pbkdf2_sha256$99999999999$salt$AAAA', // refused, not run for hours
      'pbkdf2_sha256$1000$salt$not base64!',
      'pbkdf2_sha256$1000$salt$hash$extra',
      'argon2$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA', // missing hash
      'argon2$argon2x$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ab1XSOzsjZMGKeJriqEIfQ',
      'argon2$argon2id$v=20$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ab1XSOzsjZMGKeJriqEIfQ',
      'argon2$argon2id$v=19$p=1,m=1024,t=1$c29tZXNhbHRzb21lc2FsdA$ab1XSOzsjZMGKeJriqEIfQ',
      'argon2$argon2id$v=19$m=99999999,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ab1XSOzsjZMGKeJriqEIfQ',
      'argon2$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$ab1XSOzsjZMGKeJriqEIfQ', // 4-byte salt
      'argon2$argon2id$v=19$m=1024,t=1,p=1$%%%%$ab1XSOzsjZMGKeJriqEIfQ',
      'argon2$argon2id$v=19$m=1,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ab1XSOzsjZMGKeJriqEIfQ',
      '\0\0\0',
      'x'.repeat(100_000),
    ]
    for (const encoded of garbage) {
      expect(await hashers.verify(PW, encoded), String(encoded).slice(0, 60)).toEqual({
        valid: false,
        mustUpdate: false,
      })
    }
  })

  it('handles hostile passwords without throwing', async () => {
    const encoded = await hashers.hash('pass\0word')
    expect((await hashers.verify('pass\0word', encoded)).valid).toBe(true)
    expect((await hashers.verify('pass', encoded)).valid).toBe(false)
    const long = 'é'.repeat(MAX_PASSWORD_LENGTH)
    expect((await hashers.verify(long, await hashers.hash(long))).valid).toBe(true)
    // Over the cap, lone surrogates, non-strings: never valid, never a throw from verify.
    const tooLong = 'a'.repeat(MAX_PASSWORD_LENGTH + 1)
    expect((await hashers.verify(tooLong, encoded)).valid).toBe(false)
    expect((await hashers.verify('x'.repeat(10_240), encoded)).valid).toBe(false)
    expect((await hashers.verify('\uD800', encoded)).valid).toBe(false)
    expect((await hashers.verify(42 as unknown as string, encoded)).valid).toBe(false)
    await expect(hashers.hash(tooLong)).rejects.toThrow(RangeError)
    await expect(hashers.hash('\uDC00x')).rejects.toThrow(RangeError)
    await expect(hashers.hashDummy(tooLong)).resolves.toBeUndefined()
  })

  it('refuses unknown default algorithms and out-of-range costs at creation', () => {
    expect(() => createPasswordHashers({ default: 'md5' })).toThrow(/unknown password hasher "md5"/)
    expect(() => createPasswordHashers({ pbkdf2Iterations: 0 })).toThrow(/pbkdf2Iterations/)
    expect(() => createPasswordHashers({ argon2: { memoryCost: 4 } })).toThrow(/argon2.memoryCost/)
  })
})

describe('off the event loop', { timeout: 30_000 }, () => {
  it('keeps timers running while hashes are computed', async () => {
    const hashers = createPasswordHashers({ default: 'pbkdf2_sha256', pbkdf2Iterations: 300_000 })
    let ticks = 0
    let maxGap = 0
    let last = performance.now()
    const timer = setInterval(() => {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
      ticks++
    }, 5)
    const started = performance.now()
    await Promise.all([
      hashers.hash('a'),
      createPasswordHashers().hash('b'),
      hashers.hashDummy('c'),
    ])
    const elapsed = performance.now() - started
    clearInterval(timer)
    expect(elapsed).toBeGreaterThan(50) // the work is real…
    expect(ticks).toBeGreaterThan(3) // …and the loop kept turning meanwhile
    expect(maxGap).toBeLessThan(Math.max(100, elapsed / 2))
  })
})
