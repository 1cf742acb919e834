// `npm start -w examples/next`: `next build` when there is no production build yet (or NEXT_REBUILD=1), then
// `next start` on HOST:PORT (127.0.0.1:8000, as `cookiejwt serve`). DATABASE_URL and COOKIEJWT_* pass through.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// Relative paths (sqlite:data/db.sqlite3, the data folder with the signing key, the static root) resolve where npm was
// invoked, as they do for `npx cookiejwt migrate` and `cookiejwt serve`; then Next runs in this folder.
const from = process.env.INIT_CWD || process.cwd()
const url = process.env.DATABASE_URL
if (url?.startsWith('sqlite:') && url !== 'sqlite::memory:' && !isAbsolute(url.slice('sqlite:'.length))) process.env.DATABASE_URL = `sqlite:${resolve(from, url.slice('sqlite:'.length))}`
process.env.COOKIEJWT_DATA_DIR = resolve(from, process.env.COOKIEJWT_DATA_DIR ?? 'data')
if (process.env.COOKIEJWT_STATIC_ROOT) process.env.COOKIEJWT_STATIC_ROOT = resolve(from, process.env.COOKIEJWT_STATIC_ROOT)
process.chdir(dirname(fileURLToPath(import.meta.url)))
const next = createRequire(import.meta.url).resolve('next/dist/bin/next')
const env = { NEXT_TELEMETRY_DISABLED: '1', ...process.env }
if (!existsSync('.next/BUILD_ID') || process.env.NEXT_REBUILD === '1') {
  const build = spawnSync(process.execPath, [next, 'build'], { stdio: 'inherit', env })
  if (build.status !== 0) process.exit(build.status ?? 1)
}
const server = spawn(process.execPath, [next, 'start', '-H', env.HOST || '127.0.0.1', '-p', env.PORT || '8000'], { stdio: 'inherit', env })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal))
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
