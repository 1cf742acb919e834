import argon2 from 'argon2'
import bcrypt from 'bcrypt'
import { describe, expect, it } from 'vitest'

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
