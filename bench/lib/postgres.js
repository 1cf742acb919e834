// A throwaway PostgreSQL server for the bench (initdb + pg_ctl on a free loopback port, data in a temp folder),
// as packages/server/test/services does for the tests. Runs the binaries as `postgres` when the bench runs as root.
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './processes.js'

function findBin() {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  for (const v of readdirSync(root).filter((x) => /^\d+$/.test(x)).sort((a, b) => b - a)) {
    const bin = join(root, v, 'bin')
    if (['initdb', 'pg_ctl'].every((b) => existsSync(join(bin, b)))) return bin
  }
  return null
}

const isRoot = process.getuid?.() === 0
const run = (file, args) =>
  isRoot ? execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'ignore' }) : execFileSync(file, args, { stdio: 'ignore' })

/** Why PostgreSQL cannot run here, or null. */
export function postgresMissing() {
  if (!findBin()) return 'PostgreSQL server binaries not found (Debian package postgresql)'
  if (isRoot && !readFileSync('/etc/passwd', 'utf8').includes('\npostgres:')) return 'no postgres user to run initdb as'
  return null
}

let running = null

/** Starts (once per bench run) a PostgreSQL server with a database `bench`; returns its URL. */
export async function startPostgres() {
  if (running) return running.url
  const bin = findBin()
  const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-bench-pg-'))
  if (isRoot) {
    const [, , uid, gid] = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:')).split(':')
    chownSync(dir, Number(uid), Number(gid))
  }
  const data = join(dir, 'data')
  const port = await freePort()
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`
  run(join(bin, 'pg_ctl'), ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'log'), '-o', options])
  running = { dir, data, bin, url: `postgres://postgres@127.0.0.1:${port}/bench` }
  run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'bench'])
  process.once('exit', stopPostgres)
  return running.url
}

/** Stops the server and deletes its data (also on exit). */
export function stopPostgres() {
  if (!running) return
  const r = running
  running = null
  try {
    run(join(r.bin, 'pg_ctl'), ['stop', '-m', 'immediate', '-D', r.data])
  } catch {
    /* already gone */
  }
  rmSync(r.dir, { recursive: true, force: true })
}
