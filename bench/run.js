#!/usr/bin/env node
// `npm run bench`: starts each server on loopback, drives it from a separate load-generator process, stops
// everything it started, prints a table with ratios to the bare node:http floor of the same run, and writes
// bench/results/<date>.json and .md.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spawnSync } from 'node:child_process'
import { findWrk, runLoad } from './lib/load.js'
import { httpRequest, startServer, stopAll } from './lib/processes.js'
import { machineInfo, markdownTable, tableRows, textTable } from './lib/report.js'
import { baselineScenarios } from './lib/baselines.js'
import { cookiejwtScenarios } from './lib/cookiejwt.js'
import { djangoScenarios } from './lib/django.js'
import { hashTimeMs, targetRows } from './lib/targets.js'
import { nextScenarios } from './lib/next.js'

const here = dirname(fileURLToPath(import.meta.url))

// Flags come from argv (`npm run bench -- --quick`); BENCH_QUICK=1, BENCH_ONLY, BENCH_TOOL work too.
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    only: { type: 'string', default: process.env.BENCH_ONLY || undefined },
    tool: { type: 'string', default: process.env.BENCH_TOOL || 'auto' },
    duration: { type: 'string', default: undefined },
    runs: { type: 'string', default: undefined },
    connections: { type: 'string', default: undefined },
    'no-micro': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: false,
})

if (flags.help) {
  process.stdout.write(`Usage: npm run bench [-- --quick] [--only <regex>] [--tool wrk|autocannon]
       [--duration <s>] [--runs <n>] [--connections <n>] [--no-micro]
  --quick        1 s warm-up + 3 s x 1 run per scenario (development); default 3 s + 10 s x 3 runs (median)
  --only RE      run only scenarios whose id or label matches RE (the bare floor always runs)
  --tool T       load generator: wrk (Debian package) or autocannon; default wrk when installed
  --no-micro     skip the micro-benchmark (bench/micro.js)
`)
  process.exit(0)
}

const quick = flags.quick
const opts = {
  quick,
  tool: flags.tool,
  warmSec: quick ? 1 : 3,
  durationSec: Number(flags.duration ?? (quick ? 3 : 10)),
  runs: Number(flags.runs ?? (quick ? 1 : 3)),
  connections: Number(flags.connections ?? 50),
}

function median(values) {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]
}

/** Run one load scenario on a fresh server; returns a result row. */
async function runScenario(s) {
  const server = await startServer(await s.server())
  try {
    const ctx = s.setup ? await s.setup(server, opts) : {}
    if (s.custom) {
      const custom = await s.custom(server, ctx, opts)
      return { coldStartMs: server.coldStartMs, peakRssKb: server.peakRssKb(), ...custom }
    }
    const req = s.request(ctx)
    const check = await httpRequest(server.url + req.path, { method: req.method, headers: req.headers, body: req.body })
    const expected = req.expectStatus ?? 200
    if (check.status !== expected) {
      throw new Error(`probe ${req.method ?? 'GET'} ${req.path} gave ${check.status}, expected ${expected}: ${check.body.slice(0, 200)}`)
    }
    const load = { url: server.url + req.path, method: req.method ?? 'GET', headers: req.headers ?? {}, body: req.body, connections: s.connections ?? opts.connections, tool: opts.tool }
    await runLoad({ ...load, durationSec: opts.warmSec })
    const runs = []
    for (let i = 0; i < opts.runs; i++) {
      const timer = setInterval(() => server.sampleRss(), 200)
      try {
        const cpu0 = server.cpuMs()
        const r = await runLoad({ ...load, durationSec: opts.durationSec, ...(s.load?.(ctx, opts) ?? {}) })
        r.cpuUsPerReq = r.requests ? ((server.cpuMs() - cpu0) * 1000) / r.requests : null
        runs.push(r)
      } finally {
        clearInterval(timer)
      }
    }
    const mid = runs.find((r) => r.rps === median(runs.map((x) => x.rps)))
    const non2xx = runs.reduce((a, r) => a + r.non2xx, 0)
    const errors = runs.reduce((a, r) => a + r.errors, 0)
    const bad = non2xx + errors
    const total = runs.reduce((a, r) => a + r.requests, 0)
    const row = { ...mid, cpuUsPerReq: median(runs.map((r) => r.cpuUsPerReq)), runs: runs.map((r) => Math.round(r.rps)), coldStartMs: server.coldStartMs, peakRssKb: server.peakRssKb() }
    if (total === 0) row.error = 'no request completed'
    else if (bad > total * 0.01) row.error = `of ${total} requests: ${non2xx} non-2xx, ${errors} socket errors/timeouts`
    else if (bad) row.note = `${non2xx} non-2xx, ${errors} socket errors/timeouts`
    const note = typeof s.note === 'function' ? s.note(ctx) : s.note
    if (note) row.note = row.note ? `${row.note}; ${note}` : note
    return row
  } finally {
    await server.stop()
  }
}

function runMicro() {
  const res = spawnSync(process.execPath, [join(here, 'micro.js'), '--json', ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  if (res.status !== 0) return { error: `micro.js exited ${res.status}` }
  return JSON.parse(res.stdout)
}

async function main() {
  const wrk = opts.tool === 'autocannon' ? null : findWrk()
  const toolName = wrk ? 'wrk (1 thread)' : 'autocannon'
  if (!wrk && opts.tool !== 'autocannon') {
    process.stderr.write('bench: wrk not found, using autocannon (slower generator: ratios are compressed; apt-get install -y wrk)\n')
  }
  const only = flags.only ? new RegExp(flags.only, 'i') : null
  const all = [...baselineScenarios(), ...(await cookiejwtScenarios(opts)), ...(await nextScenarios(opts)), ...(await djangoScenarios(opts))]
  const results = []
  const notes = []
  const started = new Date()
  process.stderr.write(`bench: ${quick ? 'quick' : 'full'} mode, ${toolName}, ${opts.connections} connections, ${opts.runs} x ${opts.durationSec} s per scenario\n`)
  for (const s of all) {
    if (s.skip) {
      notes.push(`${s.label}: skipped — ${s.skip}`)
      process.stderr.write(`bench: skip ${s.label}: ${s.skip}\n`)
      continue
    }
    if (only && s.id !== 'bare' && !only.test(s.id) && !only.test(s.label)) continue
    process.stderr.write(`bench: ${s.label} ... `)
    let row
    try {
      row = await runScenario(s)
      process.stderr.write(row.error ? `FAILED (${row.error})\n` : row.rps ? `${Math.round(row.rps)} req/s, p99 ${row.p99Ms?.toFixed(2)} ms\n` : `${row.note ?? 'done'}\n`)
    } catch (err) {
      row = { error: err.message }
      process.stderr.write(`FAILED\n  ${err.message.split('\n').join('\n  ')}\n`)
    }
    results.push({ id: s.id, label: s.label, ...(s.workers ? { workers: s.workers } : {}), ...row })
  }
  const micro = flags['no-micro'] ? null : runMicro()
  const hash = hashTimeMs()
  const targets = targetRows(results, { hash })
  const rows = tableRows(results)
  const machine = machineInfo()
  const stamp = started.toISOString().replace(/[:.]/g, '-')
  const header = `cookiejwt bench — ${started.toISOString()} — ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node} — ${toolName}, ${opts.connections} connections, ${opts.runs} × ${opts.durationSec} s (median)${quick ? ', QUICK' : ''}`
  process.stdout.write(`\n${header}\n\n${textTable(rows)}\n`)
  if (notes.length) process.stdout.write(`\n${notes.join('\n')}\n`)
  process.stdout.write(`\ntargets (issues 12 and 14), measured in this run\n\n${textTable(targets.map((r) => [...r, '']))}\n`)
  let microMd = ''
  if (micro && !micro.error) {
    const mrows = [['operation', 'ops/s', 'mean µs', '× HMAC-SHA256'], ...micro.results.map((m) => [m.name, Math.round(m.hz).toLocaleString('en-US'), m.meanUs.toFixed(2), m.ratio.toFixed(1) + '×'])]
    process.stdout.write(`\nmicro-benchmark (one thread, ${micro.note})\n\n${textTable(mrows.map((r) => [...r, '']))}\n`)
    microMd = `\n\n## Micro-benchmark\n\n${micro.note}\n\n${markdownTable(mrows.map((r) => [...r, '']))}\n`
  } else if (micro?.error) {
    process.stdout.write(`\nmicro-benchmark failed: ${micro.error}\n`)
  }
  const outDir = join(here, 'results')
  mkdirSync(outDir, { recursive: true })
  const base = join(outDir, stamp)
  writeFileSync(`${base}.json`, JSON.stringify({ date: started.toISOString(), machine, tool: toolName, options: opts, results, notes, micro, hash, targets }, null, 2) + '\n')
  writeFileSync(`${base}.md`, `# ${header}\n\n${markdownTable(rows)}\n${notes.length ? '\n' + notes.map((n) => `- ${n}`).join('\n') + '\n' : ''}\n## Targets\n\n${markdownTable(targets.map((r) => [...r, '']))}\n${microMd}`)
  process.stdout.write(`\nwritten: ${base}.json, ${base}.md\n`)
  await stopAll()
  if (results.some((r) => r.error)) process.exitCode = 1
}

main().catch(async (err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`)
  await stopAll()
  process.exit(1)
})
