// Load generators, always in a separate process from the server: wrk (Debian) when present, else autocannon.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnTracked } from './processes.js'

const here = dirname(fileURLToPath(import.meta.url))

/** Path of `wrk` when it is installed, else null. */
export function findWrk() {
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || null
  } catch {
    return null
  }
}

function luaString(s) {
  let eq = ''
  while (s.includes(`]${eq}]`)) eq += '='
  return `[${eq}[${s}]${eq}]`
}

function wrkScript({ method, headers, body }) {
  const lines = [`wrk.method = ${luaString(method)}`]
  for (const [k, v] of Object.entries(headers)) lines.push(`wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`)
  if (body !== undefined) lines.push(`wrk.body = ${luaString(body)}`)
  lines.push(`done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end`)
  return lines.join('\n') + '\n'
}

function collect(child) {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve({ code, signal, out, err }))
  })
}

/**
 * Drive `url` for `durationSec` with `connections` keep-alive connections and return
 * `{ rps, p50Ms, p99Ms, requests, non2xx, errors, tool }`.
 * `rate` (requests/s overall) forces autocannon, which can pace; `mode: 'refresh'` also (stateful clients).
 */
export async function runLoad({
  url,
  method = 'GET',
  headers = {},
  body,
  connections = 50,
  durationSec = 10,
  rate,
  mode,
  pool,
  tool = 'auto',
}) {
  const wrk = tool === 'autocannon' ? null : findWrk()
  if (wrk && rate === undefined && mode === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-bench-'))
    try {
      const script = join(dir, 'req.lua')
      writeFileSync(script, wrkScript({ method, headers, body }))
      const child = spawnTracked(
        wrk,
        ['-t1', `-c${connections}`, `-d${durationSec}s`, '--timeout', '10s', '-s', script, url],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      const { code, out, err } = await collect(child)
      const m = out.match(/^WRKJSON (.*)$/m)
      if (code !== 0 || !m) throw new Error(`wrk failed (${code}): ${err || out}`)
      const r = JSON.parse(m[1])
      return {
        tool: 'wrk',
        requests: r.requests,
        rps: r.requests / (r.duration_us / 1e6),
        p50Ms: r.p50_us / 1000,
        p99Ms: r.p99_us / 1000,
        non2xx: r.non2xx,
        errors: r.socket_errors + r.timeouts,
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  if (tool === 'wrk' && !wrk) throw new Error('wrk requested but not installed (apt-get install -y wrk)')
  const config = { url, method, headers, body, connections, durationSec, rate, mode, pool }
  const child = spawnTracked(process.execPath, [join(here, 'autocannon-worker.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  child.stdin.end(JSON.stringify(config))
  const { code, out, err } = await collect(child)
  if (code !== 0) throw new Error(`autocannon worker failed (${code}): ${err}`)
  return JSON.parse(out)
}
