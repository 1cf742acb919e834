import { EventEmitter } from 'node:events'
import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { drainOnSignal, makeGraceful, type DrainLogger } from './graceful.js'

/** A raw keep-alive client connection: writes requests, reads responses, remembers how the server ended it. */
interface Client {
  socket: Socket
  /** Sends a GET and resolves with the status and `Connection` header, or rejects on reset / end before the answer. */
  get(path: string): Promise<{ status: number; connection: string | undefined }>
  /** Resolves with how the connection ended: 'end' (FIN from the server) or the error code (ECONNRESET). */
  ended: Promise<string>
}

async function open(port: number): Promise<Client> {
  const socket = connect({ port, host: '127.0.0.1' })
  await new Promise<void>((resolve, reject) =>
    socket.once('connect', resolve).once('error', reject),
  )
  let buffer = ''
  let waiting: ((text: string | Error) => void) | null = null
  const ended = new Promise<string>((resolve) => {
    socket.once('end', () => resolve('end'))
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
  })
  socket.on('data', (d: Buffer) => {
    buffer += d.toString()
    const head = buffer.indexOf('\r\n\r\n')
    if (head < 0) return
    const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, head))?.[1] ?? 0)
    if (buffer.length < head + 4 + length) return
    const response = buffer.slice(0, head + 4 + length)
    buffer = buffer.slice(head + 4 + length)
    waiting?.(response)
  })
  void ended.then((how) => waiting?.(new Error(`connection ended before the answer: ${how}`)))
  return {
    socket,
    ended,
    get(path) {
      return new Promise((resolve, reject) => {
        waiting = (text) => {
          waiting = null
          if (text instanceof Error) return reject(text)
          resolve({
            status: Number(text.split(' ')[1]),
            connection: /\r\nconnection: ([^\r]+)/i.exec(text)?.[1]?.toLowerCase(),
          })
        }
        socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
      })
    },
  }
}

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections()
})

/** An http.Server answering `/slow` after 300 ms and anything else at once; `/stall` never. */
function createTestServer(): Server {
  const server = createServer((req, res) => {
    if (req.url === '/stall') return
    const answer = () =>
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('ok')
    if (req.url === '/slow') setTimeout(answer, 300)
    else answer()
  })
  servers.push(server)
  return server
}

async function start(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

function memoryLog(): DrainLogger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (fields, message) => lines.push(`info ${message} ${JSON.stringify(fields)}`),
    warn: (fields, message) => lines.push(`warn ${message} ${JSON.stringify(fields)}`),
  }
}

describe('makeGraceful', () => {
  it('answers a request in flight with Connection: close, then closes that connection with a FIN', async () => {
    const server = createTestServer()
    const graceful = makeGraceful(server, { timeoutMs: 5000 })
    const port = await start(server)
    const client = await open(port)
    const answer = client.get('/slow')
    await new Promise((r) => setTimeout(r, 50))
    expect(graceful.inFlight).toBe(1)
    const drained = graceful.drain()
    expect(await answer).toEqual({ status: 200, connection: 'close' })
    expect(await client.ended).toBe('end')
    expect(await drained).toMatchObject({ forced: false, destroyed: 0, raced: 0 })
  })

  it('answers a request sent on an idle keep-alive connection after the drain began, instead of resetting it', async () => {
    const server = createTestServer()
    const graceful = makeGraceful(server, { timeoutMs: 5000, idleCloseMs: 500 })
    const port = await start(server)
    const client = await open(port)
    expect(await client.get('/')).toEqual({ status: 200, connection: 'keep-alive' })
    const drained = graceful.drain()
    // Node 20's server.close() would have destroyed this connection now (it is idle): the next request is reset.
    await new Promise((r) => setTimeout(r, 100))
    expect(await client.get('/')).toEqual({ status: 200, connection: 'close' })
    expect(await client.ended).toBe('end')
    expect(await drained).toMatchObject({ forced: false, answered: 1, idleClosed: 0 })
  })

  it('stops accepting at once: a new connection is refused while the old ones drain', async () => {
    const server = createTestServer()
    const graceful = makeGraceful(server, { timeoutMs: 5000 })
    const port = await start(server)
    const client = await open(port)
    const answer = client.get('/slow')
    await new Promise((r) => setTimeout(r, 50))
    const drained = graceful.drain()
    await expect(open(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect(await answer).toEqual({ status: 200, connection: 'close' })
    await drained
  })

  it('half-closes a connection that stays idle for idleCloseMs: the client sees an orderly FIN, not a reset', async () => {
    const server = createTestServer()
    const graceful = makeGraceful(server, { timeoutMs: 5000, idleCloseMs: 300 })
    const port = await start(server)
    const client = await open(port)
    expect(await client.get('/')).toEqual({ status: 200, connection: 'keep-alive' })
    const started = Date.now()
    const result = await graceful.drain()
    expect(await client.ended).toBe('end')
    expect(result).toMatchObject({ forced: false, idleClosed: 1, destroyed: 0 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('counts a bare connection with no request yet as idle only after idleCloseMs, so its first request is answered', async () => {
    const server = createTestServer()
    const graceful = makeGraceful(server, { timeoutMs: 5000, idleCloseMs: 400 })
    const port = await start(server)
    const client = await open(port)
    const drained = graceful.drain()
    await new Promise((r) => setTimeout(r, 150))
    expect(await client.get('/')).toEqual({ status: 200, connection: 'close' })
    await drained
  })

  it('gives up after timeoutMs: a request that never finishes is cut and the drain reports it', async () => {
    const server = createTestServer()
    const log = memoryLog()
    const graceful = makeGraceful(server, { timeoutMs: 400, log })
    const port = await start(server)
    const client = await open(port)
    void client.get('/stall').catch(() => {})
    await new Promise((r) => setTimeout(r, 50))
    const started = Date.now()
    const result = await graceful.drain()
    expect(Date.now() - started).toBeLessThan(1000)
    expect(result).toMatchObject({ forced: true, destroyed: 1 })
    expect(await client.ended).not.toBe('')
    expect(log.lines.join('\n')).toMatch(
      /warn drain timed out: destroying the connections still open \{"connections":1/,
    )
  })

  it('returns the same drain to a second caller', async () => {
    const server = createTestServer()
    const graceful = makeGraceful(server, { timeoutMs: 1000 })
    await start(server)
    const first = graceful.drain()
    expect(graceful.drain()).toBe(first)
    expect(graceful.draining).toBe(true)
    await first
  })
})

describe('drainOnSignal', () => {
  it('drains on the first signal; a second one neither cuts the drain short nor runs onClosed twice', async () => {
    const server = createTestServer()
    const log = memoryLog()
    const signals = new EventEmitter()
    const graceful = makeGraceful(server, { timeoutMs: 5000, log })
    const port = await start(server)
    let closed = 0
    const exit = drainOnSignal(graceful, { log, process: signals, onClosed: () => closed++ })
    const client = await open(port)
    const answer = client.get('/slow')
    await new Promise((r) => setTimeout(r, 50))
    signals.emit('SIGINT', 'SIGINT')
    signals.emit('SIGINT', 'SIGINT')
    signals.emit('SIGTERM', 'SIGTERM')
    expect(await answer).toEqual({ status: 200, connection: 'close' })
    expect(await exit).toBe(0)
    expect(closed).toBe(1)
    expect(log.lines.filter((l) => / received again: still draining/.test(l))).toHaveLength(2)
  })

  it('resolves 1 when the drain had to be forced', async () => {
    const server = createTestServer()
    const signals = new EventEmitter()
    const graceful = makeGraceful(server, { timeoutMs: 300 })
    const port = await start(server)
    const exit = drainOnSignal(graceful, { process: signals })
    const client = await open(port)
    void client.get('/stall').catch(() => {})
    await new Promise((r) => setTimeout(r, 50))
    signals.emit('SIGTERM', 'SIGTERM')
    expect(await exit).toBe(1)
  })

  it('resolves 1 at the timeout when onClosed hangs', async () => {
    const server = createTestServer()
    const signals = new EventEmitter()
    const graceful = makeGraceful(server, { timeoutMs: 300 })
    await start(server)
    const exit = drainOnSignal(graceful, {
      process: signals,
      onClosed: () => new Promise(() => {}),
    })
    const started = Date.now()
    signals.emit('SIGTERM', 'SIGTERM')
    expect(await exit).toBe(1)
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
