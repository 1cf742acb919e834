// Result tables (terminal and markdown) and the machine description written beside them.
import { cpus, totalmem, release, platform } from 'node:os'

/** Describe the machine the run happened on. */
export function machineInfo() {
  const c = cpus()
  return {
    cpu: c[0]?.model?.trim() ?? 'unknown',
    cores: c.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
  }
}

const fmt = {
  int: (n) => (n == null ? '—' : Math.round(n).toLocaleString('en-US')),
  ms: (n) => (n == null ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(1)),
  ratio: (n) => (n == null || !Number.isFinite(n) ? '—' : `${n.toFixed(2)}×`),
  mb: (kb) => (kb == null || kb === 0 ? '—' : (kb / 1024).toFixed(0)),
}

/** Rows of strings for the table, with ratios to the `floor` row (bare node:http). */
export function tableRows(results) {
  const floor = results.find((r) => r.id === 'bare' && r.rps)
  const header = ['scenario', 'req/s', '× floor', 'p50 ms', 'p99 ms', 'p99 × floor', 'CPU µs/req', 'CPU × floor', 'peak RSS MB', 'cold start ms', 'note']
  const rows = results.map((r) => [
    r.label,
    r.error ? 'failed' : fmt.int(r.rps),
    r.rps && floor ? fmt.ratio(r.rps / floor.rps) : '—',
    fmt.ms(r.p50Ms),
    fmt.ms(r.p99Ms),
    r.p99Ms && floor ? fmt.ratio(r.p99Ms / floor.p99Ms) : '—',
    r.cpuUsPerReq ? fmt.ms(r.cpuUsPerReq) : '—',
    // Inverse, so that it reads like the req/s ratio: 0.5× = twice the floor's CPU per request.
    r.cpuUsPerReq && floor?.cpuUsPerReq ? fmt.ratio(floor.cpuUsPerReq / r.cpuUsPerReq) : '—',
    fmt.mb(r.peakRssKb),
    fmt.ms(r.coldStartMs),
    r.error ? String(r.error).split('\n')[0].slice(0, 80) : (r.note ?? ''),
  ])
  return [header, ...rows]
}

/** Plain-text table with aligned columns. */
export function textTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)))
  const line = (r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

/** GitHub-flavoured markdown table. */
export function markdownTable(rows) {
  const esc = (c) => String(c).replaceAll('|', '\\|')
  const [head, ...body] = rows
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 || i === head.length - 1 ? '---' : '---:')).join(' | ')} |`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n')
}
