// Scenario 5: login throughput, and the p99 of the hot path at a fixed rate while a login flood runs at the
// same time (two load-generator processes at once), compared with the same paced hot path without the flood.
import { runLoad } from './load.js'

const json = { 'content-type': 'application/json' }

/** Paced hot-path rate (requests/s) for the flood comparison: far below capacity, so p99 shows blocking, not queueing. */
export const HOT_RATE = 1000

/**
 * A login scenario. With `throughputOnly` it is a plain login load (req/s = logins/s). Otherwise it is the flood
 * comparison and `hotRequest(ctx)` gives the hot-path request to pace.
 */
export function loginFloodScenario({ id, label, server, path, credentials, throughputOnly = false, setup, hotRequest, connections = 8 }) {
  const login = { path, method: 'POST', headers: json, body: JSON.stringify(credentials) }
  // A login takes tens to hundreds of ms and queues behind the others: give it at least 8 s per run.
  const minDuration = (ctx, opts) => ({ durationSec: Math.max(opts.durationSec, 8) })
  if (throughputOnly) return { id, label, server, setup, connections, request: () => login, load: minDuration }
  return {
    id,
    label,
    server,
    setup,
    async custom(srv, ctx, opts) {
      const hot = hotRequest(ctx)
      const hotLoad = { url: srv.url + hot.path, method: hot.method ?? 'GET', headers: hot.headers ?? {}, rate: HOT_RATE, connections: 10 }
      const loginLoad = { url: srv.url + path, method: 'POST', headers: json, body: login.body, connections, tool: opts.tool }
      await runLoad({ ...hotLoad, durationSec: opts.warmSec })
      await runLoad({ ...loginLoad, durationSec: opts.warmSec })
      const alone = []
      const flooded = []
      const logins = []
      for (let i = 0; i < opts.runs; i++) {
        alone.push(await runLoad({ ...hotLoad, durationSec: opts.durationSec }))
        const timer = setInterval(() => srv.sampleRss(), 200)
        try {
          const [h, l] = await Promise.all([
            runLoad({ ...hotLoad, durationSec: opts.durationSec }),
            runLoad({ ...loginLoad, durationSec: opts.durationSec }),
          ])
          flooded.push(h)
          logins.push(l)
        } finally {
          clearInterval(timer)
        }
      }
      const med = (xs, f) => [...xs].map(f).sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
      const p99Alone = med(alone, (r) => r.p99Ms)
      const p99Flood = med(flooded, (r) => r.p99Ms)
      const loginRps = med(logins, (r) => r.rps)
      const bad = [...alone, ...flooded].reduce((a, r) => a + r.non2xx + r.errors, 0) + logins.reduce((a, r) => a + r.non2xx + r.errors, 0)
      return {
        rps: med(flooded, (r) => r.rps),
        p50Ms: med(flooded, (r) => r.p50Ms),
        p99Ms: p99Flood,
        p99AloneMs: p99Alone,
        floodRatio: p99Flood / p99Alone,
        loginRps,
        tool: 'autocannon (paced) + ' + logins[0].tool,
        note: `paced ${HOT_RATE}/s; p99 alone ${p99Alone.toFixed(2)} ms → ${(p99Flood / p99Alone).toFixed(2)}× under ${Math.round(loginRps)} logins/s${bad ? `; ${bad} non-2xx` : ''}`,
      }
    },
  }
}
