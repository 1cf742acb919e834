import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'

/** Where drain events go: a pino logger (Fastify's `app.log`) fits. Lines name counts, never a request. */
export interface DrainLogger {
  info(fields: Record<string, unknown>, message: string): void
  warn(fields: Record<string, unknown>, message: string): void
}

/** How a drain waits. */
export interface DrainOptions {
  /** Give up after this many milliseconds: the connections still open are destroyed. */
  timeoutMs: number
  /**
   * A connection with no request in progress is closed once nothing has arrived on it for this long. A client
   * using it gets its next request answered (with `Connection: close`) instead. Longer makes a client that is
   * slow between two requests (a busy proxy, a starved process) less likely to write into the close; shorter
   * makes an idle connection end sooner. @default 2000, at most a quarter of `timeoutMs`
   */
  idleCloseMs?: number
  /**
   * After half-closing an idle connection, wait this long for the client's FIN before destroying it.
   * @default 1000, at most a quarter of `timeoutMs`
   */
  lingerMs?: number
  /**
   * Awaited after the listening socket closed and before connections are told to close (requests meanwhile get
   * their usual keep-alive answers). Under node:cluster: until no worker accepts any more, so that a client told
   * to reconnect is refused rather than queued at a listening socket about to close (which resets it).
   */
  beforeClosingConnections?: () => Promise<unknown>
  log?: DrainLogger
}

/** What a drain did. */
export interface DrainResult {
  /** True when the timeout cut it short (connections were destroyed). */
  forced: boolean
  /** Requests answered after the drain began (each with `Connection: close`). */
  answered: number
  /** Idle connections the server half-closed. */
  idleClosed: number
  /** Requests that arrived on a connection after the server had half-closed it (the client raced the close). */
  raced: number
  /** Connections destroyed at the timeout. */
  destroyed: number
  ms: number
}

/** A node `http.Server` that can stop without dropping a request a client had already sent. */
export interface GracefulServer {
  readonly timeoutMs: number
  readonly draining: boolean
  /** Open connections. */
  readonly connections: number
  /** Requests being handled right now. */
  readonly inFlight: number
  /** Starts the drain (once; later calls return the same promise) and resolves when every connection is closed. */
  drain(): Promise<DrainResult>
}

interface Connection {
  socket: Socket
  /** Responses not finished yet on this connection. */
  open: Set<ServerResponse>
  /** When a byte last arrived or a response last finished (ms since the epoch). */
  lastActive: number
  bytesRead: number
  /** When the server half-closed it (0: not yet). */
  endedAt: number
}

const POLL_MS = 20

/**
 * Tracks the connections and requests of a node `http.Server` (any framework on top) so it can be drained.
 *
 * `drain()` stops accepting (only the listening socket closes: `http.Server#close()` would also destroy every
 * connection Node thinks idle, including one whose request bytes sit unread in the kernel, and the client sees a
 * reset). Every request that arrives afterwards on a connection still open is answered as usual with
 * `Connection: close`, so the connection closes after its answer. A connection with nothing in progress is
 * half-closed (FIN, still reading) once nothing arrived on it for `idleCloseMs`: a client that is using it sends its
 * next request within that window and gets a `Connection: close` answer instead; one that is not sees the FIN and
 * opens a new connection elsewhere. HTTP/1.1 has no way to close an idle connection that a client may be writing
 * to at the same instant; the window makes that a connection idle for two seconds, not one in use. Resolves when every
 * connection is gone, or destroys the rest after `timeoutMs`. Call it before `listen()`: a connection accepted
 * earlier is not tracked.
 */
export function makeGraceful(server: Server, options: DrainOptions): GracefulServer {
  const idleCloseMs = options.idleCloseMs ?? Math.min(2000, options.timeoutMs / 4)
  const lingerMs = options.lingerMs ?? Math.min(1000, options.timeoutMs / 4)
  const connections = new Map<Socket, Connection>()
  let inFlight = 0
  let draining: Promise<DrainResult> | null = null
  let closing = false
  const counts = { answered: 0, idleClosed: 0, raced: 0 }

  const track = (socket: Socket): Connection => {
    const connection: Connection = {
      socket,
      open: new Set(),
      lastActive: Date.now(),
      bytesRead: 0,
      endedAt: 0,
    }
    connections.set(socket, connection)
    socket.once('close', () => connections.delete(socket))
    return connection
  }
  server.on('connection', track)
  // Before the framework's listener: the header must be set before the handler can send the head.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    // A connection accepted before makeGraceful() is tracked from its first request on.
    const connection =
      connections.get(req.socket) ?? (req.socket.destroyed ? null : track(req.socket))
    inFlight++
    connection?.open.add(res)
    if (connection) connection.lastActive = Date.now()
    if (closing) {
      if (req.socket.writableEnded) counts.raced++
      else counts.answered++
      closeAfter(res)
    }
    res.once('close', () => {
      inFlight--
      if (!connection) return
      connection.open.delete(res)
      connection.lastActive = Date.now()
    })
  })

  const run = async (): Promise<DrainResult> => {
    const started = Date.now()
    // Stop accepting. With node:cluster the listening socket is shared: the other workers keep accepting.
    if (server.listening) NetServer.prototype.close.call(server)
    options.log?.info(
      { connections: connections.size, inFlight },
      'draining: stopped accepting connections',
    )
    if (options.beforeClosingConnections) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        options.beforeClosingConnections().catch(() => {}),
        new Promise((resolve) => (timer = setTimeout(resolve, options.timeoutMs))),
      ])
      clearTimeout(timer)
    }
    closing = true
    for (const connection of connections.values())
      for (const res of connection.open) closeAfter(res)
    let forced = false
    let destroyed = 0
    for (;;) {
      const now = Date.now()
      for (const connection of connections.values()) step(connection, now)
      if (connections.size === 0) break
      if (now - started >= options.timeoutMs) {
        forced = true
        destroyed = connections.size
        options.log?.warn(
          { connections: destroyed, inFlight, timeoutMs: options.timeoutMs },
          'drain timed out: destroying the connections still open',
        )
        for (const { socket } of connections.values()) socket.destroy()
        connections.clear()
        break
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    // http.Server#close also stops its header-timeout timer; nothing is left for it to destroy.
    server.close(() => {})
    const result = { forced, destroyed, ...counts, ms: Date.now() - started }
    if (counts.raced > 0) {
      options.log?.warn(
        { raced: counts.raced },
        'requests arrived on connections the server had already half-closed',
      )
    }
    options.log?.info({ ...result }, 'drained')
    return result
  }

  const step = (connection: Connection, now: number): void => {
    const { socket } = connection
    if (socket.destroyed) {
      connections.delete(socket)
      return
    }
    // Bytes of a request not parsed yet (or still arriving) make the connection busy, not idle.
    if (socket.bytesRead !== connection.bytesRead) {
      connection.bytesRead = socket.bytesRead
      connection.lastActive = now
    }
    if (connection.endedAt === 0) {
      if (connection.open.size === 0 && now - connection.lastActive >= idleCloseMs) {
        connection.endedAt = now
        counts.idleClosed++
        // FIN, keep reading: a request crossing it is read (no RST), and the client sees an orderly end.
        socket.end()
      }
    } else if (now - connection.endedAt >= lingerMs) {
      socket.destroy()
      connections.delete(socket)
    }
  }

  return {
    timeoutMs: options.timeoutMs,
    get draining() {
      return draining !== null
    },
    get connections() {
      return connections.size
    },
    get inFlight() {
      return inFlight
    },
    drain() {
      draining ??= run()
      return draining
    },
  }
}

/** Makes `res` end its connection: `Connection: close` when its head is not sent yet (Node then ends the socket). */
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close')
}

/** What `drainOnSignal` needs of `process` (tests pass an EventEmitter). */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
}

/** Options of {@link drainOnSignal}. */
export interface DrainOnSignalOptions {
  /** Runs once the connections are closed (close the database, the framework's hooks). */
  onClosed?: () => Promise<unknown> | unknown
  log?: DrainLogger
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[]
  /** @default process */
  process?: SignalSource
}

/**
 * Drains `graceful` on the first SIGTERM/SIGINT and resolves with the exit code: 0 when every connection closed and
 * `onClosed` finished within its `timeoutMs`, else 1 (at the timeout it resolves without waiting for `onClosed`).
 * Later signals are logged and ignored: `npx` forwards a Ctrl-C that the terminal already sent, and neither may
 * cut the drain short or kill the process (the listeners stay, so Node's default action never runs).
 * @example process.exitCode = await drainOnSignal(makeGraceful(server, { timeoutMs: 10_000 }), { onClosed })
 */
export function drainOnSignal(
  graceful: GracefulServer,
  options: DrainOnSignalOptions = {},
): Promise<number> {
  const source = options.process ?? process
  const { timeoutMs } = graceful
  return new Promise<number>((resolve) => {
    let first: NodeJS.Signals | null = null
    const onSignal = (signal: NodeJS.Signals): void => {
      if (first !== null) {
        options.log?.info({ signal, first }, `${signal} received again: still draining`)
        return
      }
      first = signal
      options.log?.info({ signal, timeoutMs }, `${signal} received: draining`)
      const started = Date.now()
      const deadline = setTimeout(() => {
        options.log?.warn({ timeoutMs }, 'shutdown timed out: exiting now')
        resolve(1)
      }, timeoutMs + 50)
      deadline.unref()
      void graceful
        .drain()
        .then(async (result) => {
          await options.onClosed?.()
          options.log?.info({ ms: Date.now() - started }, 'closed')
          resolve(result.forced ? 1 : 0)
        })
        .catch((error: unknown) => {
          options.log?.warn({ error: (error as Error)?.message ?? String(error) }, 'closing failed')
          resolve(1)
        })
        .finally(() => clearTimeout(deadline))
    }
    for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) source.on(signal, onSignal)
  })
}
