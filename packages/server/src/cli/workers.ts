import cluster, { type Worker } from 'node:cluster'
import { CommandError, type Command, type CommandContext } from './command.js'

/** Environment variable a worker reads to know it must not migrate (the first worker already did). */
const SKIP_MIGRATE_ENV = 'COOKIEJWT_WORKER_SKIP_MIGRATE'
/** A worker crashing more often than this within `CRASH_WINDOW_MS` stops the whole server. */
const MAX_CRASHES = 5
const CRASH_WINDOW_MS = 60_000
/** How long a signalled worker may take to finish its in-flight requests before it is killed. */
const WORKER_STOP_TIMEOUT_MS = 20_000

/**
 * Adds `--workers N` (or `COOKIEJWT_WORKERS`) to the `serve` command: with N > 1 the process
 * becomes a node:cluster primary that forks N workers sharing the listening port. The first worker
 * applies `--migrate` alone, the others start once it listens. SIGTERM/SIGINT are passed to every
 * worker, which finishes its in-flight requests and exits; a crashed worker is replaced.
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

function runPrimary(count: number, context: CommandContext): Promise<number> {
  const log = (message: string): void => {
    context.stderr.write(`cookiejwt serve (primary ${process.pid}): ${message}\n`)
  }
  return new Promise<number>((resolve) => {
    let stopping = false
    let started = false
    let failed = false
    const crashes: number[] = []
    const live = new Set<Worker>()
    const listening = new Set<Worker>()

    // The kernel hands connections to the workers (SCHED_NONE). With round-robin the primary accepts
    // and passes each socket on; sockets still queued in the primary when the workers close are reset.
    cluster.schedulingPolicy = cluster.SCHED_NONE
    const fork = (skipMigrate: boolean): Worker => {
      const worker = cluster.fork({ [SKIP_MIGRATE_ENV]: skipMigrate ? '1' : '0' })
      live.add(worker)
      worker.once('listening', () => {
        listening.add(worker)
        if (listening.size === count && !stopping) log(`${count} workers listening`)
      })
      worker.on('exit', (code, signal) => {
        live.delete(worker)
        listening.delete(worker)
        if (!started && !stopping) {
          // The first worker failed to start (bad configuration, migration error): give up at once.
          log(`the first worker exited before listening (${signal ?? `code ${code}`})`)
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
        log(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`})`)
        const now = Date.now()
        crashes.push(now)
        while (crashes.length > 0 && (crashes[0] ?? 0) < now - CRASH_WINDOW_MS) crashes.shift()
        if (crashes.length > MAX_CRASHES) {
          log(`workers keep crashing (${crashes.length} in ${CRASH_WINDOW_MS / 1000} s): stopping`)
          failed = true
          stop('crash loop')
          return
        }
        fork(true)
      })
      return worker
    }

    const stop = (reason: string): void => {
      if (stopping) return
      stopping = true
      log(`${reason}: stopping ${live.size} worker(s) after their in-flight requests`)
      if (live.size === 0) resolve(failed ? 1 : 0)
      for (const worker of live) {
        worker.process.kill('SIGTERM')
        const timer = setTimeout(() => worker.process.kill('SIGKILL'), WORKER_STOP_TIMEOUT_MS)
        timer.unref()
        worker.once('exit', () => clearTimeout(timer))
      }
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))

    // The first worker migrates (when asked) before any other starts: migrations run once.
    const first = fork(false)
    first.once('listening', () => {
      started = true
      if (stopping) return
      for (let i = 1; i < count; i++) fork(true)
    })
  })
}
