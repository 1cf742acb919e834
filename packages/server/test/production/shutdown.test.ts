import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getFreePort, startPostgres, type PostgresHandle } from '../services/index.js'
import { describeLoad, failedRequests, startLoad, type Load } from './load.js'
import { api, prepareDatabase, runCli, serverEnv, startServer, type ServerProcess } from './processes.js'

// Issue 12: SIGTERM and SIGHUP under 32 busy keep-alive clients must not cost a single request.
const PASSWORD = 'correct horse battery staple'
const CLIENTS = 32
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until every client has had 5 answers (a warm keep-alive connection each), then lets the load run on. */
async function warmUp(load: Load): Promise<void> {
  await expect
    .poll(() => {
      const answers = new Map<number, number>()
      for (const r of load.records) if (r.status === 200) answers.set(r.client, (answers.get(r.client) ?? 0) + 1)
      return [...answers.values()].filter((n) => n >= 5).length
    }, { timeout: 20_000, interval: 50 })
    .toBe(CLIENTS)
  await sleep(500)
}

/** The worker pids of a `--workers` primary. */
function workerPids(server: ServerProcess): number[] {
  const pid = server.child.pid as number
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
}

/** The server's drain and restart lines, for a failure message. */
function drainLog(server: ServerProcess): string {
  return server
    .output()
    .split('\n')
    .filter((line) => /drain|raced|restart|SIG|exited|listening/.test(line))
    .join('\n')
}

async function accessToken(server: ServerProcess): Promise<string> {
  const login = await api(server.url, '/api/token/', { json: { username: 'ada', password: PASSWORD } })
  expect(login.status).toBe(200)
  return login.body?.access as string
}

/** Waits (sending nothing) for the process to exit; its code and how long after `since` it exited. */
async function exitOf(server: ServerProcess, since: number): Promise<{ code: number | null; ms: number }> {
  const code = await server.exited
  return { code, ms: Math.round(performance.now() - since) }
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`serve on ${dialect}: no dropped request on SIGTERM or SIGHUP under keep-alive load`, () => {
    let postgres: PostgresHandle | undefined
    let env: NodeJS.ProcessEnv

    beforeAll(async () => {
      // LOG_LEVEL=info: the drain and restart lines are asserted below (and searched for secrets).
      env = serverEnv({ LOG_LEVEL: 'info' })
      if (dialect === 'postgres') {
        postgres = await startPostgres()
        env.DATABASE_URL = postgres.url
      } else {
        env.DATABASE_URL = `sqlite:${env.COOKIEJWT_DATA_DIR}/db.sqlite3`
      }
      await prepareDatabase(env.DATABASE_URL, ['ada'], PASSWORD)
    }, 120_000)
    afterAll(() => postgres?.stop())

    it('one process: SIGTERM, then a second one as npx sends it; every request written is answered 200, exit 0', async () => {
      const server = await startServer(env)
      let load: Load | undefined
      try {
        const access = await accessToken(server)
        load = startLoad({ port: server.port, access, clients: CLIENTS })
        const t0 = performance.now()
        await warmUp(load)
        const signalAt = performance.now()
        server.child.kill('SIGTERM')
        await sleep(50)
        server.child.kill('SIGINT')
        const exit = await exitOf(server, signalAt)
        await load.stop()
        const { records, connectFailures } = load

        expect(failedRequests(records), `${describeLoad(records, t0)}\n${drainLog(server)}`).toEqual([])
        expect(exit).toMatchObject({ code: 0 })
        // Bounded: the idle-connection window (2 s) plus a little, far below shutdownTimeout (10 s).
        expect(exit.ms).toBeLessThan(5000)
        // The load was real and went on past the signal: each client's connection ended with one 200 answered
        // `Connection: close` (the request in flight at the signal, or the next one written on the held
        // connection), and some requests were written after the signal and still answered.
        expect(records.filter((r) => r.writtenAt < signalAt).length).toBeGreaterThanOrEqual(CLIENTS * 5)
        const closes = records.filter((r) => r.status === 200 && r.connectionClose)
        expect(new Set(closes.map((r) => r.client)).size).toBe(CLIENTS)
        expect(closes.length).toBe(CLIENTS)
        expect(records.filter((r) => r.writtenAt >= signalAt && r.status === 200).length).toBeGreaterThanOrEqual(1)
        // Reconnecting after that is refused (nothing written): the port closed at the signal, not before.
        expect(connectFailures.every((f) => f.at > signalAt && f.code === 'ECONNREFUSED')).toBe(true)
        const output = server.output()
        // Which of the two the process sees first is up to the kernel when both are pending (lower number first).
        expect(output.match(/"msg":"SIG(TERM|INT) received: draining"/g)).toHaveLength(1)
        expect(output.match(/"msg":"SIG(TERM|INT) received again: still draining"/g)).toHaveLength(1)
        expect(output).toMatch(/"raced":0,.*"msg":"drained"/)
        expect(output).not.toMatch(/requests arrived on connections the server had already half-closed/)
        expect(output).not.toContain(access)
        expect(output).not.toContain(PASSWORD)
      } finally {
        await load?.stop()
        await server.stop('SIGKILL')
      }
    }, 60_000)

    it('--workers 2: SIGHUP replaces both workers one at a time with no failed request, then SIGTERM drains', async () => {
      const server = await startServer(env, ['--workers', '2'])
      let load: Load | undefined
      try {
        await expect.poll(() => server.output(), { timeout: 30_000 }).toMatch(/2 workers listening/)
        const before = workerPids(server)
        expect(before).toHaveLength(2)
        const access = await accessToken(server)
        load = startLoad({ port: server.port, access, clients: CLIENTS })
        const t0 = performance.now()
        await warmUp(load)

        const hupAt = performance.now()
        server.child.kill('SIGHUP')
        await expect.poll(() => server.output(), { timeout: 40_000, interval: 100 }).toMatch(/rolling restart complete/)
        await sleep(300)
        const after = workerPids(server)
        expect(after).toHaveLength(2)
        expect(after.filter((pid) => before.includes(pid))).toEqual([])
        // Not one failure during the restart, and the port never refused a connection.
        expect(failedRequests(load.records), `${describeLoad(load.records, t0)}\n${drainLog(server)}`).toEqual([])
        expect(load.connectFailures).toEqual([])
        // The old workers closed their connections after answering on them, and the clients moved on.
        const closedByDrain = load.records.filter((r) => r.writtenAt >= hupAt && r.status === 200 && r.connectionClose)
        expect(closedByDrain.length).toBeGreaterThanOrEqual(1)
        const output = server.output()
        for (const pid of before) expect(output).toMatch(new RegExp(`worker ${pid} drained and exited \\(code 0\\)`))

        const signalAt = performance.now()
        server.child.kill('SIGTERM')
        await sleep(50)
        // The drain may already be over (a fast machine): the second signal is then nobody's to log.
        const secondSent = server.child.exitCode === null && server.child.signalCode === null && server.child.kill('SIGTERM')
        const exit = await exitOf(server, signalAt)
        await load.stop()
        expect(failedRequests(load.records), `${describeLoad(load.records, t0)}\n${drainLog(server)}`).toEqual([])
        expect(exit).toMatchObject({ code: 0 })
        expect(exit.ms).toBeLessThan(8000)
        expect(load.connectFailures.every((f) => f.at > signalAt && f.code === 'ECONNREFUSED')).toBe(true)
        expect(server.output()).toMatch(/SIGTERM: stopping 2 worker\(s\)/)
        // Still running 250 ms after the first signal: it was alive when the second one came, and said so.
        if (secondSent && exit.ms > 250) expect(server.output()).toMatch(/SIGTERM: already stopping/)
        expect(server.output()).not.toContain(access)
      } finally {
        await load?.stop()
        await server.stop('SIGKILL')
      }
    }, 90_000)
  })
}

describe('serve --workers 2: crashes and start-up failures', () => {
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    env = serverEnv({ LOG_LEVEL: 'info' })
    env.DATABASE_URL = `sqlite:${env.COOKIEJWT_DATA_DIR}/db.sqlite3`
    await prepareDatabase(env.DATABASE_URL, ['ada'], PASSWORD)
  }, 60_000)

  it('replaces a crashed worker and logs it while the other one serves', async () => {
    const server = await startServer(env, ['--workers', '2'])
    try {
      await expect.poll(() => server.output(), { timeout: 30_000 }).toMatch(/2 workers listening/)
      expect(workerPids(server)).toHaveLength(2)
      const [victim] = workerPids(server)
      process.kill(victim as number, 'SIGKILL')
      // Its own connections die with it (a pooled keep-alive socket may be one); new ones reach the other worker.
      await expect
        .poll(() => api(server.url, '/api/health/').then((r) => r.status, () => 'reset'), { timeout: 10_000 })
        .toBe(200)
      await expect
        .poll(() => workerPids(server).length === 2 && !workerPids(server).includes(victim as number), { timeout: 30_000 })
        .toBe(true)
      expect(server.output()).toMatch(new RegExp(`"msg":"worker ${victim} exited \\(SIGKILL\\): replacing it"`))
      await expect.poll(() => server.output().match(/2 workers listening/g)?.length, { timeout: 30_000 }).toBe(2)
      expect(await server.stop('SIGTERM')).toBe(0)
    } finally {
      await server.stop('SIGKILL')
    }
  }, 60_000)

  it('one process drains on SIGHUP and exits 0 instead of dying at once, as Node would', async () => {
    const server = await startServer(env)
    try {
      expect(await server.stop('SIGHUP')).toBe(0)
      expect(server.output()).toMatch(/"msg":"SIGHUP received: draining"/)
      expect(server.output()).toMatch(/"msg":"drained"/)
    } finally {
      await server.stop('SIGKILL')
    }
  }, 60_000)

  it('SIGHUP with a configuration a new worker refuses: the restart stops, the old workers keep serving', async () => {
    // The key comes from the data folder, so the test can break it under the running server, as a bad deploy would.
    const keyFile = join(env.COOKIEJWT_DATA_DIR as string, 'signing_key')
    writeFileSync(keyFile, `${'k'.repeat(48)}\n`, { mode: 0o600 })
    const server = await startServer({ ...env, COOKIEJWT_SIGNING_KEY: '' }, ['--workers', '2'])
    try {
      await expect.poll(() => server.output(), { timeout: 30_000 }).toMatch(/2 workers listening/)
      const before = workerPids(server)
      writeFileSync(keyFile, 'too short\n')
      server.child.kill('SIGHUP')
      await expect.poll(() => server.output(), { timeout: 30_000 }).toMatch(/rolling restart aborted/)
      expect(server.output()).toMatch(/"signingKey" is too short/)
      await sleep(500)
      expect(workerPids(server).sort()).toEqual(before.sort())
      expect((await api(server.url, '/api/health/')).status).toBe(200)
      expect(server.output()).not.toMatch(/replacing it/)
      expect(await server.stop('SIGTERM')).toBe(0)
    } finally {
      await server.stop('SIGKILL')
    }
  }, 60_000)

  it('a worker that cannot start stops the whole server with a non-zero exit, not a restart loop', async () => {
    const port = String(await getFreePort())
    const started = Date.now()
    const error = await runCli(['serve', '--workers', '2', '--port', port], {
      ...env,
      COOKIEJWT_SIGNING_KEY: 'too short',
    }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/"signingKey" is too short/)
    expect((error as Error).message).toMatch(/the first worker exited before listening \(code 1\)/)
    expect(Date.now() - started).toBeLessThan(30_000)
  }, 60_000)
})
