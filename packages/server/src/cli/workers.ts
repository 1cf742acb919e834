import cluster, { type Worker } from 'node:cluster'
import { hostname } from 'node:os'
import { CommandError, type Command, type CommandContext } from './command.js'
import { CLOSE_CONNECTIONS, isDrainMessage, STOPPED_ACCEPTING } from './cluster-drain.js'
import { loadShutdownTimeout } from './config.js'

/** Environment variable a worker reads to know it must not migrate (the first worker already did). */
const SKIP_MIGRATE_ENV = 'COOKIEJWT_WORKER_SKIP_MIGRATE'
/** A worker crashing more often than this within `CRASH_WINDOW_MS` stops the whole server. */
const MAX_CRASHES = 5
const CRASH_WINDOW_MS = 60_000
/** How much longer than `shutdownTimeout` a signalled worker may take before it is killed. */
const WORKER_KILL_MARGIN_MS = 5_000

/**
 * Adds `--workers N` (or `COOKIEJWT_WORKERS`) to the `serve` command: with N > 1 the process
 * becomes a node:cluster primary that forks N workers sharing the listening port. The first worker
 * applies `--migrate` alone, the others start once it listens. SIGTERM/SIGINT are passed to every
 * worker, which drains its connections and exits; a crashed worker is replaced. SIGHUP replaces
 * the workers one at a time (a rolling restart that loads the code on disk anew).
 */
export function withWorkers(serve: Command): Command {
  return {
    ...serve,
    usage: `${serve.usage.replace(/^cookiejwt serve/, 'cookiejwt serve [--workers N]')}`,
    options: { ...serve.options, workers: { type: 'string' } },
    async run(context) {
      const workers = parseWorkers(
        (context.values.workers as string | undefined) ?? context.env.COOKIEJWT_WORKERS,
      )
      if (cluster.isWorker) {
        // A closing terminal sends SIGHUP to the whole process group: only the primary acts on it (restart).
        process.on('SIGHUP', () => {})
        const values = { ...context.values }
        if (context.env[SKIP_MIGRATE_ENV] === '1') values.migrate = false
        try {
          return await serve.run({ ...context, values })
        } finally {
          // The IPC channel to the primary would keep this process alive after the server closed (or failed).
          // worker.disconnect() (not process.disconnect(), which makes Node exit 0 at once) keeps the exit code.
          cluster.worker?.disconnect()
        }
      }
      if (workers === 1) return serve.run(context)
      return runPrimary(workers, context)
    },
  }
}

/** Parses a worker count: a whole number from 1 to 64. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined || value === '') return 1
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 64) {
    throw new CommandError(`--workers must be a whole number from 1 to 64 (got "${value}")`)
  }
  return n
}

/** One structured log line of the primary: the shape pino gives the workers' lines, so one parser reads both. */
type PrimaryLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void

const LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
}

function primaryLog(context: CommandContext): PrimaryLog {
  const threshold = LEVELS[context.env.LOG_LEVEL ?? 'info'] ?? 30
  const host = hostname()
  // Lines name pids, exit codes and signals only: never a setting, a URL or a request.
  return (level, message, fields = {}) => {
    const n = LEVELS[level] ?? 30
    if (n < threshold) return
    const line = {
      level: n,
      time: Date.now(),
      pid: process.pid,
      hostname: host,
      role: 'primary',
      ...fields,
      msg: message,
    }
    context.stderr.write(`${JSON.stringify(line)}\n`)
  }
}

function runPrimary(count: number, context: CommandContext): Promise<number> {
  const log = primaryLog(context)
  const killAfterMs = loadShutdownTimeout(context.env) * 1000 + WORKER_KILL_MARGIN_MS
  return new Promise<number>((resolve) => {
    let stopping = false
    let started = false
    let failed = false
    let restarting = false
    const crashes: number[] = []
    const live = new Set<Worker>()
    const listening = new Set<Worker>()
    // Old workers a rolling restart is draining, and new ones it has forked but which do not listen yet: their
    // exits are the restart's business, not crashes to replace.
    const retiring = new Set<Worker>()
    const pending = new Set<Worker>()
    // Workers that closed their listening socket, and those of them waiting for the word to close connections.
    const stoppedAccepting = new Set<Worker>()
    const waiting = new Set<Worker>()
    let everyListenerClosed = false

    // The kernel hands connections to the workers (SCHED_NONE): they share one listening socket, so a worker
    // that stops accepting leaves its queued connections to the others instead of resetting them. With
    // round-robin the primary accepts and passes each socket on; sockets still queued in the primary when the
    // workers close are reset.
    cluster.schedulingPolicy = cluster.SCHED_NONE
    const fork = (skipMigrate: boolean): Worker => {
      // One glibc malloc arena per worker (unless the operator chose): argon2's 19 MiB blocks freed on libuv's pool
      // threads otherwise stay resident in per-thread arenas (measured 188 → 125 MB peak, bench/README.md). glibc
      // reads it only at process start, so it is set for the worker, not from inside it.
      const worker = cluster.fork({
        [SKIP_MIGRATE_ENV]: skipMigrate ? '1' : '0',
        MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '1',
      })
      live.add(worker)
      worker.once('listening', () => {
        listening.add(worker)
        if (listening.size === count && !stopping && !restarting)
          log('info', `${count} workers listening`)
      })
      worker.on('message', (message: unknown) => {
        if (!isDrainMessage(message, STOPPED_ACCEPTING)) return
        stoppedAccepting.add(worker)
        waiting.add(worker)
        releaseConnections()
      })
      worker.on('exit', (code, signal) => {
        live.delete(worker)
        listening.delete(worker)
        stoppedAccepting.delete(worker)
        waiting.delete(worker)
        releaseConnections()
        const how = signal ?? `code ${code}`
        if (retiring.delete(worker)) {
          log(
            code === 0 ? 'info' : 'warn',
            `worker ${worker.process.pid} drained and exited (${how})`,
            { worker: worker.process.pid, code, signal },
          )
          if (stopping && live.size === 0) resolve(failed ? 1 : 0)
          return
        }
        if (pending.delete(worker) && !stopping) return
        if (!started && !stopping) {
          // The first worker failed to start (bad configuration, migration error): give up at once.
          log('error', `the first worker exited before listening (${how})`, {
            worker: worker.process.pid,
            code,
            signal,
          })
          stopping = true
          resolve(code || 1)
          return
        }
        if (stopping) {
          // A worker still starting up has nothing in flight: the default SIGTERM ending is clean.
          if (code !== 0 && signal !== 'SIGTERM') failed = true
          if (live.size === 0) resolve(failed ? 1 : 0)
          return
        }
        log('warn', `worker ${worker.process.pid} exited (${how}): replacing it`, {
          worker: worker.process.pid,
          code,
          signal,
        })
        const now = Date.now()
        crashes.push(now)
        while (crashes.length > 0 && (crashes[0] ?? 0) < now - CRASH_WINDOW_MS) crashes.shift()
        if (crashes.length > MAX_CRASHES) {
          log(
            'error',
            `workers keep crashing (${crashes.length} in ${CRASH_WINDOW_MS / 1000} s): stopping`,
          )
          failed = true
          stop('crash loop')
          return
        }
        fork(true)
      })
      return worker
    }

    /**
     * Tells draining workers to close their connections. While other workers accept (a rolling restart, a worker
     * stopped by hand) at once: a client told to reconnect reaches them. In a full stop only once no worker
     * accepts any more: a client reconnecting earlier would queue at a listening socket that is about to close,
     * and be reset after it sent its request; now it is refused, which it can retry safely.
     */
    const releaseConnections = (): void => {
      if (stopping && !everyListenerClosed) {
        if (![...live].every((w) => stoppedAccepting.has(w) || !listening.has(w))) return
        everyListenerClosed = true
      }
      for (const worker of waiting)
        if (worker.isConnected()) worker.send({ cookiejwt: CLOSE_CONNECTIONS })
      waiting.clear()
    }

    /** SIGTERM to `worker` (it drains), SIGKILL if it is still there `killAfterMs` later. */
    const drain = (worker: Worker): Promise<void> =>
      new Promise((done) => {
        if (worker.isDead()) return done()
        const timer = setTimeout(() => {
          log(
            'warn',
            `worker ${worker.process.pid} still running after the shutdown timeout: killing it`,
            { worker: worker.process.pid },
          )
          worker.process.kill('SIGKILL')
        }, killAfterMs)
        timer.unref()
        worker.once('exit', () => {
          clearTimeout(timer)
          done()
        })
        worker.process.kill('SIGTERM')
      })

    const stop = (reason: string): void => {
      if (stopping) {
        log('info', `${reason}: already stopping`)
        return
      }
      stopping = true
      log('info', `${reason}: stopping ${live.size} worker(s) after their in-flight requests`)
      // Only when every worker listens: a worker still starting would ask the primary for the released handle.
      if (listening.size === live.size) releaseListeningSocket()
      if (live.size === 0) resolve(failed ? 1 : 0)
      for (const worker of live) void drain(worker)
    }

    /** Whether `worker` comes to listen (true) or exits first (false). */
    const listens = (worker: Worker): Promise<boolean> =>
      new Promise((done) => {
        const onListening = () => {
          worker.off('exit', onExit)
          done(true)
        }
        const onExit = () => {
          worker.off('listening', onListening)
          done(false)
        }
        worker.once('listening', onListening)
        worker.once('exit', onExit)
      })

    // gunicorn's HUP: a new worker listens before an old one drains, one at a time, so the port always has
    // `count` workers accepting and no connection waits for a worker that is starting.
    const restart = async (): Promise<void> => {
      if (stopping || !started) return
      if (restarting) {
        log('info', 'SIGHUP: a rolling restart is already running')
        return
      }
      restarting = true
      const old = [...live].filter((w) => !pending.has(w))
      log('info', `SIGHUP: replacing ${old.length} worker(s) one at a time`, {
        workers: old.map((w) => w.process.pid),
      })
      let migrateNext = true
      for (const worker of old) {
        if (stopping) break
        if (worker.isDead()) continue // crashed meanwhile: the crash path replaced it
        // With --migrate the first new worker applies migrations of the new code before any old worker stops.
        const replacement = fork(!migrateNext)
        migrateNext = false
        pending.add(replacement)
        const ok = await listens(replacement)
        pending.delete(replacement)
        if (!ok) {
          log(
            'error',
            'rolling restart aborted: a new worker exited before listening; the old workers keep serving',
            {
              worker: replacement.process.pid,
            },
          )
          restarting = false
          return
        }
        if (stopping) break
        log(
          'info',
          `worker ${replacement.process.pid} listening: draining worker ${worker.process.pid}`,
          {
            worker: worker.process.pid,
            replacement: replacement.process.pid,
          },
        )
        retiring.add(worker)
        await drain(worker)
      }
      restarting = false
      if (!stopping)
        log('info', 'rolling restart complete', { workers: [...live].map((w) => w.process.pid) })
    }

    // `on`, not `once`: npx forwards a Ctrl-C the terminal already delivered, and a second signal must neither
    // kill the primary (Node's default action) nor cut the workers' drain short.
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGHUP', () => void restart())

    // The first worker migrates (when asked) before any other starts: migrations run once.
    const first = fork(false)
    first.once('listening', () => {
      started = true
      if (stopping) return
      for (let i = 1; i < count; i++) fork(true)
    })
  })
}

/**
 * Closes the primary's copy of the shared listening socket. node:cluster (SCHED_NONE) keeps one open in the primary
 * for workers yet to come and closes it only after the last worker said it closed its own. Connections the kernel
 * queues in that gap, with no process accepting, are reset when the primary's copy closes — after their client sent
 * a request. With the primary's copy closed first, the socket stops listening the moment the last worker stops
 * accepting, as a single process does: later connections are refused, which a client or load balancer can retry.
 * node:cluster offers no API for this; the handle is the only TCP handle of the primary beyond stdio.
 */
function releaseListeningSocket(): void {
  type Handle = { constructor?: { name?: string }; fd?: number; close?: () => void }
  const handles =
    (process as unknown as { _getActiveHandles?: () => Handle[] })._getActiveHandles?.() ?? []
  for (const handle of handles) {
    if (handle?.constructor?.name === 'TCP' && typeof handle.fd === 'number' && handle.fd > 2)
      handle.close?.()
  }
}
