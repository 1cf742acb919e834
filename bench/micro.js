#!/usr/bin/env node
// Micro-benchmark of single operations on one thread, each printed with its cost relative to one raw
// HMAC-SHA256 over the same signing input (node:crypto): the physical floor of HS256 verification.
// `node micro.js [--quick] [--json]`.
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto'
import { parseArgs } from 'node:util'
import { Bench } from 'tinybench'
import { createVerifier, createSigner } from 'fast-jwt'
import * as jose from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { BENCH_KEY, makeAccessToken } from './lib/token.js'
import { cookiejwtMicro } from './lib/cookiejwt-micro.js'

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
})

const token = makeAccessToken({ userId: 1 })
const [head, body, sig] = token.split('.')
const signingInput = `${head}.${body}`
const sigBytes = Buffer.from(sig, 'base64url')
const keyObject = createSecretKey(Buffer.from(BENCH_KEY))
const keyBytes = new TextEncoder().encode(BENCH_KEY)
const cryptoKey = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, [
  'verify',
])

const fastVerify = createVerifier({ key: BENCH_KEY, algorithms: ['HS256'] })
const fastSign = createSigner({ key: BENCH_KEY, algorithm: 'HS256' })
const payload = { token_type: 'access', user_id: 1, jti: 'a'.repeat(32) }

const bench = new Bench({ time: flags.quick ? 150 : 600, warmupTime: flags.quick ? 50 : 200 })
bench
  .add('HMAC-SHA256 (node:crypto, KeyObject) — reference', () => {
    const mac = createHmac('sha256', keyObject).update(signingInput).digest()
    if (!timingSafeEqual(mac, sigBytes)) throw new Error('bad mac')
  })
  .add('fast-jwt verify (string key)', () => {
    fastVerify(token)
  })
  .add('fast-jwt sign (string key)', () => {
    fastSign(payload)
  })
  .add('jose jwtVerify (Uint8Array key)', async () => {
    await jose.jwtVerify(token, keyBytes, { algorithms: ['HS256'] })
  })
  .add('jose jwtVerify (CryptoKey, imported once)', async () => {
    await jose.jwtVerify(token, cryptoKey, { algorithms: ['HS256'] })
  })
  .add('jsonwebtoken verify (string secret)', () => {
    jsonwebtoken.verify(token, BENCH_KEY, { algorithms: ['HS256'] })
  })
  .add('jsonwebtoken verify (KeyObject)', () => {
    jsonwebtoken.verify(token, keyObject, { algorithms: ['HS256'] })
  })

const extra = await cookiejwtMicro(bench, { token, quick: flags.quick })

await bench.warmup()
await bench.run()

// Password hashing takes milliseconds per call: a bounded number of iterations, no time budget.
const slow = new Bench({ time: 0, iterations: flags.quick ? 3 : 10, warmupTime: 0, warmupIterations: 1 })
for (const h of extra.hashers.filter((x) => x.fn)) slow.add(h.name, h.fn)
if (slow.tasks.length) {
  await slow.warmup()
  await slow.run()
}

const ref = bench.tasks[0].result
const results = [...bench.tasks, ...slow.tasks].map((t) => ({
  name: t.name,
  hz: t.result.hz,
  meanUs: t.result.mean * 1000,
  ratio: t.result.mean / ref.mean,
}))
const failed = extra.hashers.filter((x) => x.error).map((x) => `${x.name}: ${x.error}`)
const note = `tinybench, ${flags.quick ? 'quick' : '600 ms per task'}; ratio = mean time / one HMAC-SHA256${extra.note ? '; ' + extra.note : ''}${failed.length ? '; failed: ' + failed.join(', ') : ''}`
if (flags.json) {
  process.stdout.write(JSON.stringify({ note, results }))
} else {
  console.log(note)
  console.table(results.map((r) => ({ operation: r.name, 'ops/s': Math.round(r.hz), 'mean µs': r.meanUs.toFixed(2), '× HMAC': r.ratio.toFixed(1) })))
}
