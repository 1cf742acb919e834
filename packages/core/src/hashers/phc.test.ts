import argon2 from 'argon2'
import bcrypt from 'bcrypt'
import { describe, expect, it } from 'vitest'

import { b64NoPad } from './encoding.js'
import { createPasswordHashers, fromPhcHash, toPhcHash } from './index.js'

const PW = 'lètmein 🔑'
// node-argon2 and bcrypt, as a Node application without Django writes them; cheap costs.
const nodeArgon2 = () => argon2.hash(PW, { memoryCost: 1024, timeCost: 1, parallelism: 1 })
const nodeBcrypt = () => bcrypt.hash(PW, 4)

describe('bare PHC strings', () => {
  const hashers = createPasswordHashers({
    argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  })

  it('verifies node-argon2 hashes ($argon2id$, parameters in its m,p,t order) and bcrypt $2b$/$2a$/$2y$', async () => {
    const a = await nodeArgon2()
    expect(a).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/)
    // Valid; flagged for one re-hash by Django's salt rule (16 raw bytes count as 16 characters: under 128 bits).
    expect(await hashers.verify(PW, a)).toEqual({ valid: true, mustUpdate: true })
    expect((await hashers.verify('wrong', a)).valid).toBe(false)
    const b = await nodeBcrypt()
    for (const spelling of [b, b.replace('$2b$', '$2a$'), b.replace('$2b$', '$2y$')]) {
      // Another algorithm than the default argon2: valid, and upgraded on login.
      expect(await hashers.verify(PW, spelling)).toEqual({ valid: true, mustUpdate: true })
    }
    expect((await hashers.verify('wrong', b)).valid).toBe(false)
  })

  it('refuses malformed PHC parameters: a repeated or unknown key, a missing one', async () => {
    const a = await nodeArgon2()
    for (const params of ['m=1024,p=1,p=1', 'm=1024,p=1', 'm=1024,p=1,t=1,x=2', 'm=1024;p=1;t=1']) {
      expect((await hashers.verify(PW, a.replace('m=1024,p=1,t=1', params))).valid, params).toBe(
        false,
      )
    }
  })

  it("moves between Django's layout and PHC; formats without a PHC spelling give null", async () => {
    const a = await nodeArgon2()
    // Django's layout, parameters in the m,t,p order libargon2 and argon2-cffi require.
    expect(fromPhcHash(a)).toBe(`argon2${a.replace('m=1024,p=1,t=1', 'm=1024,t=1,p=1')}`)
    expect(toPhcHash(fromPhcHash(a))).toBe(a.replace('m=1024,p=1,t=1', 'm=1024,t=1,p=1'))
    expect(toPhcHash(a)).toBe(a)
    const b = await nodeBcrypt()
    expect(fromPhcHash(b)).toBe(`bcrypt$${b}`)
    expect(toPhcHash(`bcrypt$${b}`)).toBe(b)
    expect(toPhcHash(`bcrypt_sha256$${b}`)).toBeNull()
    expect(toPhcHash('pbkdf2_sha256$1000$salt$hash')).toBeNull()
    expect(fromPhcHash('pbkdf2_sha256$1000$salt$hash')).toBe('pbkdf2_sha256$1000$salt$hash')
    // What cookiejwt writes as PHC verifies in node-argon2 and bcrypt.
    const ours = toPhcHash(await hashers.hash(PW))!
    expect(ours).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
    expect(await argon2.verify(ours, PW)).toBe(true)
    const bcryptHashers = createPasswordHashers({ default: 'bcrypt', bcryptRounds: 4 })
    expect(await bcrypt.compare(PW, toPhcHash(await bcryptHashers.hash(PW))!)).toBe(true)
  })
})

describe('the argon2 binding', () => {
  // Core hashes with @node-rs/argon2 (RustCrypto); libargon2 (node-argon2) is the reference implementation Django's
  // argon2-cffi also wraps. Every variant, both versions, p > 1 and odd tag lengths must give the same tag.
  const hashers = createPasswordHashers({
    argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  })
  const cases: {
    type: 0 | 1 | 2
    name: string
    version: number
    m: number
    t: number
    p: number
    len: number
  }[] = [
    { type: argon2.argon2id, name: 'argon2id', version: 0x13, m: 1024, t: 1, p: 1, len: 32 },
    { type: argon2.argon2id, name: 'argon2id', version: 0x13, m: 2048, t: 3, p: 4, len: 16 },
    { type: argon2.argon2i, name: 'argon2i', version: 0x13, m: 512, t: 2, p: 2, len: 33 },
    { type: argon2.argon2i, name: 'argon2i', version: 0x10, m: 512, t: 2, p: 1, len: 32 },
    { type: argon2.argon2d, name: 'argon2d', version: 0x13, m: 256, t: 1, p: 1, len: 64 },
  ]
  it.each(cases)(
    'verifies libargon2 tags: $name v=$version m=$m t=$t p=$p, $len bytes',
    async (c) => {
      const salt = Buffer.from('abcdefghijklmnopqrstuv', 'ascii')
      const tag = await argon2.hash(PW, {
        raw: true,
        salt,
        type: c.type,
        version: c.version,
        memoryCost: c.m,
        timeCost: c.t,
        parallelism: c.p,
        hashLength: c.len,
      })
      const v = c.version === 0x13 ? 'v=19' : 'v=16'
      const encoded = `argon2$${c.name}$${v}$m=${c.m},t=${c.t},p=${c.p}$${b64NoPad(salt)}$${b64NoPad(tag)}`
      expect((await hashers.verify(PW, encoded)).valid).toBe(true)
      expect((await hashers.verify(`${PW}x`, encoded)).valid).toBe(false)
      const flipped = Buffer.from(tag)
      flipped[0] = flipped[0]! ^ 1
      expect(
        (await hashers.verify(PW, encoded.replace(b64NoPad(tag), b64NoPad(flipped)))).valid,
      ).toBe(false)
    },
  )

  it('writes tags libargon2 verifies', async () => {
    const encoded = await hashers.hash(PW)
    const [, , , , salt64, hash64] = encoded.split('$') as string[]
    const tag = await argon2.hash(PW, {
      raw: true,
      salt: Buffer.from(salt64!, 'base64'),
      type: argon2.argon2id,
      version: 0x13,
      memoryCost: 1024,
      timeCost: 1,
      parallelism: 1,
      hashLength: 32,
    })
    expect(b64NoPad(tag)).toBe(hash64)
  })
})
