// Runs autocannon in its own process (never in the server's or the harness's), reads its config as JSON on
// stdin and prints one JSON result on stdout.
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

const config = JSON.parse(await readStdin())
const options = {
  url: config.url,
  connections: config.connections,
  duration: config.durationSec,
  method: config.method,
  headers: config.headers,
  body: config.body,
  timeout: 5,
}
if (config.rate) options.overallRate = config.rate

if (config.mode === 'refresh') {
  // Each connection rotates its own refresh token: send the current one, keep the one the response sets.
  const pool = [...config.pool]
  let mismatches = 0
  options.requests = [
    {
      method: 'POST',
      setupRequest(req, context) {
        if (!context.refresh) context.refresh = pool.pop()
        return { ...req, headers: { ...config.headers, cookie: `refresh_token=${context.refresh}` } }
      },
      onResponse(status, _body, context, headers) {
        const next = setCookies(headers)
          .map((c) => /^refresh_token=([^;]+)/.exec(c)?.[1])
          .find((v) => v)
        if (status === 200 && next) context.refresh = next
        else mismatches++
      },
    },
  ]
  process.on('exit', () => {
    if (mismatches) process.stderr.write(`refresh: ${mismatches} responses without a rotated token\n`)
  })
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
