// cookiejwt's tasks for the micro-benchmark: verify (cache hit and miss), sign, CSRF check, cookie parse and
// serialize, and password hash/verify per hasher (in a second, iteration-bounded Bench: each takes milliseconds).
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_KEY, makeAccessToken } from './token.js'

const coreDist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'core', 'dist', 'index.js')

/** Adds cookiejwt tasks to `bench`; returns a note for the table header, and `hashers` tasks to run apart. */
export async function cookiejwtMicro(bench, { token }) {
  if (!existsSync(coreDist)) return { note: 'cookiejwt not built (npm run build): its rows are missing', hashers: [] }
  const core = await import('@cookiejwt/core')
  // The parser @fastify/cookie calls on every request.
  const { parseCookie } = await import('cookie')
  const settings = core.defineSettings({ signingKey: BENCH_KEY, accessTokenLifetime: 7200 })
  // Distinct tokens, more than the verifier's cache holds, so every verification is a miss.
  const fresh = Array.from({ length: 5000 }, (_, i) => makeAccessToken({ userId: 1 + (i % 50) }))
  let i = 0
  const secret = core.generateCsrfSecret()
  const masked = core.maskCsrfSecret(secret)
  const cookieHeader = `csrftoken=${masked}; access_token=${token}; theme=dark; _ga=GA1.1.123456789.1700000000`
  bench
    .add('cookiejwt verifyAccessToken (same token: cache hit)', () => {
      core.verifyAccessToken(settings, token)
    })
    .add('cookiejwt verifyAccessToken (distinct tokens: cache miss)', () => {
      core.verifyAccessToken(settings, fresh[i++ % fresh.length])
    })
    .add('cookiejwt issueTokenPair (sign access + refresh)', () => {
      core.issueTokenPair(settings, 1)
    })
    .add('cookiejwt checkCsrfToken (masked header vs masked cookie)', () => {
      if (core.checkCsrfToken(masked, core.maskCsrfSecret(secret)) !== null) throw new Error('csrf')
    })
    .add('cookie parse (cookie.parseCookie as @fastify/cookie, 4 cookies)', () => {
      parseCookie(cookieHeader)
    })
    .add('cookiejwt serializeAccessCookie', () => {
      core.serializeAccessCookie(settings, token)
    })
  const password = 'correct horse battery staple'
  const algorithms = ['argon2', 'pbkdf2_sha256', 'scrypt', 'bcrypt_sha256']
  const hashers = []
  for (const algorithm of algorithms) {
    let h
    try {
      h = core.createPasswordHashers({ default: algorithm })
      const encoded = await h.hash(password)
      hashers.push({ name: `password hash: ${algorithm}`, fn: () => h.hash(password) })
      hashers.push({
        name: `password verify: ${algorithm}`,
        fn: async () => {
          if (!(await h.verify(password, encoded)).valid) throw new Error('verify')
        },
      })
    } catch (error) {
      hashers.push({ name: `password ${algorithm}`, error: String(error?.message ?? error) })
    }
  }
  return { note: '', hashers }
}
