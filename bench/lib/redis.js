// A throwaway Redis server for the bench (Debian's redis-server on a free loopback port, nothing persisted), started
// once per run beside lib/postgres.js's PostgreSQL: the production set-up (`DATABASE_URL` + `REDIS_URL`).
import { execFileSync } from 'node:child_process'
import { createConnection } from 'node:net'
import { freePort, spawnTracked } from './processes.js'

/** Why Redis cannot run here, or null. */
export function redisMissing() {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return null
  } catch {
    return 'redis-server not found (Debian package redis-server)'
  }
}

let running = null

/** Starts (once per bench run) a Redis server; resolves with its URL once it answers PING. */
export async function startRedis() {
  if (running) return running
  const port = await freePort()
  // spawnTracked: its own process group, killed with every other child on exit, errors and Ctrl-C.
  spawnTracked('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const deadline = Date.now() + 10_000
  for (;;) {
    if (await ping(port)) break
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  running = `redis://127.0.0.1:${port}`
  return running
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
    socket.once('error', () => resolve(false))
  })
}
