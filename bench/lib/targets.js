// The targets of issues 12 and 14, each printed beside what this run measured (ratios within the run).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Median time of one password verification with the default hasher (argon2id, OWASP parameters), in a child. */
export function hashTimeMs(samples = 7) {
  const core = join(repo, 'packages', 'core', 'dist', 'index.js')
  if (!existsSync(core)) return null
  const script = `
    const core = await import(${JSON.stringify(core)})
    const h = core.createPasswordHashers({})
    const enc = await h.hash('correct horse battery staple')
    const t = []
    for (let i = 0; i < ${samples}; i++) {
      const t0 = performance.now()
      if (!(await h.verify('correct horse battery staple', enc)).valid) throw new Error('verify')
      t.push(performance.now() - t0)
    }
    t.sort((a, b) => a - b)
    console.log(JSON.stringify({ ms: t[Math.floor(t.length / 2)], algorithm: h.defaultAlgorithm }))`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
  if (r.status !== 0) return null
  return JSON.parse(r.stdout)
}

const x = (n) => (n == null || !Number.isFinite(n) ? '—' : `${n.toFixed(2)}×`)
const status = (ok) => (ok == null ? 'not measured' : ok ? 'met' : 'MISSED')

/** Rows `[target, measured, status]` from the results of one run. */
export function targetRows(results, { hash } = {}) {
  const by = (id) => results.find((r) => r.id === id && !r.error && !r.skip)
  const floor = by('bare')
  const rps = (id) => (by(id)?.rps && floor?.rps ? by(id).rps / floor.rps : null)
  const cpu = (id) => (by(id)?.cpuUsPerReq && floor?.cpuUsPerReq ? floor.cpuUsPerReq / by(id).cpuUsPerReq : null)
  const rows = []
  const hot = (id, what, target) => {
    const r = rps(id)
    const c = cpu(id)
    rows.push([
      `${what} ≥ ${target}× bare node:http (req/s and CPU/request)`,
      r == null ? 'not run' : `${x(r)} req/s, ${x(c)} CPU/req`,
      r == null ? 'not measured' : status(r >= target && c >= target),
    ])
  }
  hot('cj-serve-stateless-cookie', 'cookie GET /api/auth/me/, stateless user', 0.85)
  hot('cj-serve-db-cookie', 'cookie GET, user from SQLite', 0.6)
  const pg = rps('cj-serve-pg-cookie')
  rows.push(['cookie GET, user from PostgreSQL (printed beside SQLite)', pg == null ? 'not run' : `${x(pg)} req/s, ${x(cpu('cj-serve-pg-cookie'))} CPU/req`, 'printed'])
  const pgRedis = rps('cj-serve-pg-redis-cookie')
  rows.push(['cookie GET, PostgreSQL user + Redis revocation check (printed)', pgRedis == null ? 'not run' : `${x(pgRedis)} req/s, ${x(cpu('cj-serve-pg-redis-cookie'))} CPU/req`, 'printed'])
  const what = { 'cj-serve-login': 'a login load', 'cj-serve-login-arena1': 'a login load with MALLOC_ARENA_MAX=1', 'cj-serve-flood': 'a login flood + hot path' }
  for (const [id, under] of Object.entries(what)) {
    const r = by(id)
    if (!r) continue
    const mb = r.peakRssKb / 1024
    rows.push([`peak RSS < 120 MB per process under ${under} (${hash?.algorithm ?? 'default hasher'})`, `${mb.toFixed(0)} MB${(r.loginRps ?? r.rps) ? ` at ${(r.loginRps ?? r.rps).toFixed(1)} logins/s` : ''}`, status(mb < 120)])
  }
  const flood = by('cj-serve-flood')
  if (flood?.floodRatio) rows.push(['hot-path p99 under a login flood ≤ 3× alone', `${x(flood.floodRatio)} (${flood.p99AloneMs.toFixed(1)} → ${flood.p99Ms.toFixed(1)} ms)`, status(flood.floodRatio <= 3)])
  const cold = by('cj-serve-cold-start')
  if (cold) {
    rows.push([
      '`cookiejwt serve` spawn → first 200 of /api/health/ < 400 ms',
      `${Math.round(cold.coldStartMs)} ms (bare node:http spawned the same way: ${cold.bareColdStartMs ? Math.round(cold.bareColdStartMs) + ' ms' : '—'}; difference ${cold.bareColdStartMs ? Math.round(cold.coldStartMs - cold.bareColdStartMs) + ' ms' : '—'})`,
      status(cold.coldStartMs < 400),
    ])
  }
  const w = by('cj-serve-workers-cookie')
  const one = by('cj-serve-db-cookie')
  if (w && one) {
    const n = w.workers
    const scale = w.rps / one.rps
    rows.push([`--workers ${n} ≥ ${(0.9 * n).toFixed(1)}× one worker (cookie GET; ${availableParallelism()} cores, load generator included)`, `${x(scale)}`, status(scale >= 0.9 * n)])
    // What can be read on a machine without a free core per worker: whether a request costs a worker more CPU than
    // it costs a single process (the primary's share included). At ≤ 1.1× the scaling is the free cores'.
    if (w.cpuUsPerReq && one.cpuUsPerReq)
      rows.push([`--workers ${n}: CPU per request ÷ one worker's (≤ 1.1×: no cost of its own; printed)`, `${(w.cpuUsPerReq / one.cpuUsPerReq).toFixed(2)}× (${w.cpuUsPerReq.toFixed(1)} vs ${one.cpuUsPerReq.toFixed(1)} µs)`, 'printed'])
  }
  const login = by('cj-serve-login')
  if (hash?.ms) {
    const cores = availableParallelism()
    const ideal = (cores * 1000) / hash.ms
    rows.push([
      `login throughput = cores ÷ hash time (${cores} ÷ ${hash.ms.toFixed(0)} ms = ${ideal.toFixed(1)}/s)`,
      login ? `${login.rps.toFixed(1)} logins/s (${x(login.rps / ideal)})` : 'not run',
      'printed',
    ])
  }
  const pairs = [
    ['cj-fastify-db-cookie', 'fastify', 'Fastify'],
    ['cj-express-db-cookie', 'express-hello', 'Express'],
    ['cj-hono-db-cookie', 'hono-hello', 'Hono'],
    ['cj-next-db-cookie', 'next-hello', 'Next.js'],
  ]
  for (const [id, base, name] of pairs) {
    const a = by(id)
    const b = by(base)
    const r = a?.rps && b?.rps ? a.rps / b.rps : null
    const c = a?.cpuUsPerReq && b?.cpuUsPerReq ? b.cpuUsPerReq / a.cpuUsPerReq : null
    rows.push([`${name} adapter cookie GET (DB user) ≥ 0.7× ${name}'s own hello route`, r == null ? 'not run' : `${x(r)} req/s${c ? `, ${x(c)} CPU/req` : ''}`, r == null ? 'not measured' : status(r >= 0.7)])
  }
  return [['target', 'measured (this run)', 'status'], ...rows]
}
