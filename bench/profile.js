#!/usr/bin/env node
// `node bench/profile.js <scenario-id> [seconds]`: runs one scenario's server under `node --cpu-prof` while wrk or
// autocannon drives it, then prints where the server's CPU time went (self time by function and by package).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { baselineScenarios } from './lib/baselines.js'
import { cookiejwtScenarios } from './lib/cookiejwt.js'
import { runLoad } from './lib/load.js'
import { startServer, stopAll } from './lib/processes.js'

const [id = 'cj-app-stateless-cookie', seconds = '10'] = process.argv.slice(2)
const all = [...baselineScenarios(), ...(await cookiejwtScenarios())]
const s = all.find((x) => x.id === id)
if (!s?.request) {
  console.error(`unknown or non-load scenario ${id}; one of: ${all.filter((x) => x.request).map((x) => x.id).join(', ')}`)
  process.exit(2)
}
const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-prof-'))
const spec = s.server()
const server = await startServer({ ...spec, args: [`--cpu-prof`, `--cpu-prof-dir=${dir}`, ...spec.args] })
try {
  const ctx = s.setup ? await s.setup(server) : {}
  const req = s.request(ctx)
  const r = await runLoad({ url: server.url + req.path, method: req.method ?? 'GET', headers: req.headers ?? {}, body: req.body, connections: 50, durationSec: Number(seconds) })
  console.log(`${id}: ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms, non-2xx ${r.non2xx}`)
} finally {
  await server.stop()
  await stopAll()
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
if (!file) throw new Error(`no profile written in ${dir} (the server must exit cleanly on SIGTERM)`)
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'))
const dt = new Map()
for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0))
const total = [...dt.values()].reduce((a, b) => a + b, 0)
const byFn = new Map()
const byPkg = new Map()
const pkgOf = (url) => {
  if (!url) return '(native/V8)'
  if (url.startsWith('node:')) return 'node: internals'
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url) ?? /packages\/([^/]+)\//.exec(url)
  return m ? (url.includes('node_modules') ? m[1] : `@cookiejwt/${m[1]}`) : url.split('/').slice(-2).join('/')
}
for (const node of profile.nodes) {
  const t = dt.get(node.id) ?? 0
  if (!t) continue
  const { functionName, url, lineNumber } = node.callFrame
  const key = `${functionName || '(anonymous)'}  ${url ? url.replace(/^.*\/(node_modules|packages)\//, '$1/') + ':' + (lineNumber + 1) : ''}`
  byFn.set(key, (byFn.get(key) ?? 0) + t)
  byPkg.set(pkgOf(url), (byPkg.get(pkgOf(url)) ?? 0) + t)
}
const show = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n')
console.log(`\nself time by package (${(total / 1e6).toFixed(1)} s sampled; profile ${join(dir, file)})\n${show(byPkg, 15)}`)
console.log(`\nself time by function (top 30)\n${show(byFn, 30)}`)
