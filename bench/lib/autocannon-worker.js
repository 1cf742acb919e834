// Runs autocannon in its own process (never in the server's or the harness's), reads its config as JSON on
// stdin and prints one JSON result on stdout.
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'

function readStdin() {
  return new Promise((resolve) => {
    let s = ''
    process.stdin.on('data', (c) => (s += c))
    process.stdin.on('end', () => resolve(s))
  })
}

function setCookies(headers) {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === 'set-cookie') return Array.isArray(v) ? v : [v]
  }
  return []
}

/**
 * Refresh with rotation: each of `connections` keep-alive clients sends its current refresh token and keeps the
 * rotated one from Set-Cookie (autocannon resets per-connection context after every request, so it cannot chain).
 */
async function refreshLoop({ url, connections, durationSec, pool }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const latencies = []
  let non2xx = 0
  let errors = 0
  const end = performance.now() + durationSec * 1000
  const once = (token) =>
    new Promise((resolve) => {
      const t0 = performance.now()
      const req = request(url, { method: 'POST', agent, headers: { cookie: `refresh_token=${token}`, 'content-length': 0 } }, (res) => {
        res.resume()
        res.on('end', () => {
          latencies.push(performance.now() - t0)
          const next = setCookies(res.headers)
            .map((c) => /^refresh_token=([^;]+)/.exec(c)?.[1])
            .find((v) => v)
          if (res.statusCode !== 200 || !next) non2xx++
          resolve(res.statusCode === 200 ? next : null)
        })
      })
      req.on('error', () => {
        errors++
        resolve(null)
      })
      req.end()
    })
  const client = async (token) => {
    while (token && performance.now() < end) token = await once(token)
  }
  const t0 = performance.now()
  await Promise.all(pool.slice(0, connections).map(client))
  const elapsed = (performance.now() - t0) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0
  return { tool: 'node:http keep-alive clients', requests: latencies.length, rps: latencies.length / elapsed, p50Ms: pct(50), p99Ms: pct(99), non2xx, errors }
}

const config = JSON.parse(await readStdin())
const options = {
  url: config.url,
  connections: config.connections,
  duration: config.durationSec,
  method: config.method,
  headers: config.headers,
  body: config.body,
  timeout: 10,
}
if (config.rate) options.overallRate = config.rate

if (config.mode === 'refresh') {
  process.stdout.write(JSON.stringify(await refreshLoop(config)))
  process.exit(0)
}

const result = await autocannon(options)
process.stdout.write(
  JSON.stringify({
    tool: 'autocannon',
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }),
)
