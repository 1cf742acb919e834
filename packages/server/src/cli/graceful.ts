import type { ServerResponse } from 'node:http'
import { Server as NetServer } from 'node:net'
import type { FastifyInstance } from 'fastify'

/** How long a graceful close waits. */
export interface GracefulCloseOptions {
  /**
   * Keep accepting connections this long after the signal (each response says `Connection: close`),
   * so connections already queued in the listen backlog are served rather than reset. @default 1000
   */
  acceptMs?: number
  /** Then wait until no request has been in flight for this long. @default 100 */
  quietMs?: number
  /** Stop waiting for in-flight requests after this long in all and close anyway. @default 8000 */
  maxDrainMs?: number
}

/** A listening app that can be closed without resetting requests already sent. */
export interface Drainable {
  /** Requests being handled right now. */
  readonly inFlight: number
  /** Serves what is queued or in flight (stops accepting after `acceptMs`), then runs `app.close()`. */
  close(options?: GracefulCloseOptions): Promise<void>
}

/**
 * Tracks the requests of a listening app so SIGTERM can drain it: `close()` keeps accepting for
 * `acceptMs` (connections already in the listen backlog), answering every request with
 * `Connection: close`; then stops accepting, waits until no request has been in flight for
 * `quietMs`, and only then runs `app.close()` (dropping idle sockets, running onClose hooks). Calling `server.close()` straight
 * away drops "idle" keep-alive sockets at once — including one whose request bytes were received
 * but not parsed yet, which the client sees as a reset connection.
 */
export function makeDrainable(app: FastifyInstance): Drainable {
  const server = app.server
  let inFlight = 0
  let draining = false
  server.prependListener('request', (_req, res: ServerResponse) => {
    inFlight++
    if (draining && !res.headersSent) res.setHeader('connection', 'close')
    res.once('close', () => inFlight--)
  })
  return {
    get inFlight() {
      return inFlight
    },
    async close(options = {}) {
      const acceptMs = options.acceptMs ?? 1000
      const quietMs = options.quietMs ?? 100
      const maxDrainMs = options.maxDrainMs ?? 8000
      draining = true
      const started = Date.now()
      await new Promise((resolve) => setTimeout(resolve, acceptMs))
      // net.Server#close only stops accepting; http.Server#close would also drop "idle" sockets now.
      if (server.listening) NetServer.prototype.close.call(server)
      let quietSince = 0
      while (Date.now() - started < maxDrainMs) {
        if (inFlight > 0) quietSince = 0
        else if (quietSince === 0) quietSince = Date.now()
        if (quietSince !== 0 && Date.now() - quietSince >= quietMs) break
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      await app.close()
    },
  }
}
