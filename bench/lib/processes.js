// Child-process management: free ports, readiness (= cold start), peak RSS, and cleanup on every exit path.
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

const children = new Set()
let handlersInstalled = false

function killTree(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    // Children are spawned detached (own process group), so this reaches gunicorn workers etc. too.
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

/** Kill every child this process started (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopAll(graceMs = 2000) {
  const running = [...children]
  for (const child of running) killTree(child, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (running.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) {
    await sleep(20)
  }
  for (const child of running) killTree(child, 'SIGKILL')
}

function installHandlers() {
  if (handlersInstalled) return
  handlersInstalled = true
  const killSync = () => {
    for (const child of children) killTree(child, 'SIGKILL')
  }
  process.on('exit', killSync)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping ${children.size} child process(es)\n`)
      killSync()
      process.exit(130)
    })
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`)
    killSync()
    process.exit(1)
  })
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: ${err?.stack ?? err}\n`)
    killSync()
    process.exit(1)
  })
}

/** Spawn a tracked child process in its own process group; it is killed when the bench exits. */
export function spawnTracked(command, args, options = {}) {
  installHandlers()
  const child = spawn(command, args, { detached: true, ...options })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** Ask the kernel for a free loopback port (bind port 0, read it, release it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** One HTTP request; resolves with `{ status, headers, body }` or rejects on a socket error. */
export function httpRequest(url, { method = 'GET', headers = {}, body, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    // An explicit Content-Length: WSGI servers (gunicorn) do not read chunked request bodies.
    const all = body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) }
    const req = request(url, { method, headers: all, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      )
    })
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${url}`)))
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

function readStatusKb(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

/** CPU time (user + system) of one process in milliseconds, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuTimeMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of stat(5) (utime, stime), counted from the state field (3) here.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return 0
  }
}
const CLOCK_TICKS = 100

/** Pids of every descendant of `pid` (scan of /proc, for multi-process servers such as gunicorn). */
export function descendants(pid) {
  const parentOf = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parentOf.set(Number(entry), ppid)
    } catch {
      /* exited meanwhile */
    }
  }
  const out = []
  const queue = [pid]
  while (queue.length) {
    const p = queue.shift()
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child)
        queue.push(child)
      }
    }
  }
  return out
}

/**
 * Start a server and wait until `readyPath` answers 200. The time from spawn to that first 200 is the
 * cold start. `args` may be a function of the chosen port. Returns a handle with `url`, `pid`, `coldStartMs`, `peakRssKb()`, `sampleRss()` and `stop()`.
 */
export async function startServer({
  name,
  command = process.execPath,
  args,
  env = {},
  cwd,
  readyPath = '/',
  readyHeaders = {},
  timeoutMs = 20000,
  multiProcess = false,
}) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let output = ''
  const t0 = performance.now()
  const child = spawnTracked(command, typeof args === 'function' ? args(port) : args, {
    cwd,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const keep = (chunk) => {
    output = (output + chunk).slice(-4000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  let exited = false
  child.once('exit', () => {
    exited = true
  })
  let coldStartMs = null
  while (performance.now() - t0 < timeoutMs) {
    if (exited) break
    try {
      const res = await httpRequest(url + readyPath, { headers: readyHeaders, timeoutMs: 2000 })
      if (res.status === 200) {
        coldStartMs = performance.now() - t0
        break
      }
    } catch {
      /* not listening yet */
    }
    await sleep(2)
  }
  if (coldStartMs === null) {
    killTree(child, 'SIGKILL')
    throw new Error(`${name}: not ready (${exited ? 'exited' : 'timeout'}); output:\n${output}`)
  }
  let treePeakKb = 0
  const handle = {
    name,
    url,
    port,
    pid: child.pid,
    coldStartMs,
    output: () => output,
    /** Sample the summed RSS of the process tree (only needed for multi-process servers). */
    sampleRss() {
      if (!multiProcess) return
      const pids = [child.pid, ...descendants(child.pid)]
      const sum = pids.reduce((acc, p) => acc + readStatusKb(p, 'VmRSS'), 0)
      treePeakKb = Math.max(treePeakKb, sum)
    },
    /** CPU milliseconds used so far by the server (summed over its process tree when multi-process). */
    cpuMs() {
      const pids = multiProcess ? [child.pid, ...descendants(child.pid)] : [child.pid]
      return pids.reduce((acc, p) => acc + cpuTimeMs(p), 0)
    },
    /** Peak resident set of the server: VmHWM of the process (or the sampled tree peak). */
    peakRssKb() {
      return Math.max(readStatusKb(child.pid, 'VmHWM'), treePeakKb)
    },
    async stop() {
      killTree(child, 'SIGTERM')
      const deadline = Date.now() + 3000
      while (!exited && Date.now() < deadline) await sleep(20)
      if (!exited) killTree(child, 'SIGKILL')
    },
  }
  return handle
}
