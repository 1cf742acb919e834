// The seed's own stack as a peer (Django + DRF + simplejwt under gunicorn, 2 workers) when Debian's
// python3-djangorestframework-simplejwt and gunicorn are installed; skipped with a note otherwise.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PEER_TOKEN } from './baselines.js'
import { BENCH_KEY } from './token.js'
import { loginFloodScenario } from './flood.js'

const site = join(dirname(fileURLToPath(import.meta.url)), '..', 'servers', 'django')
// Debian's interpreter, not a pyenv/venv one that lacks the Debian packages.
const PYTHON = '/usr/bin/python3'
const GUNICORN = '/usr/bin/gunicorn'
export const DJANGO_USER = { username: 'benchuser', password: 'bench-Password-2024!' }

function missing() {
  if (!existsSync(PYTHON) || !existsSync(GUNICORN)) return 'gunicorn not installed (apt-get install -y gunicorn python3-djangorestframework-simplejwt)'
  try {
    execFileSync(PYTHON, ['-c', 'import django, rest_framework, rest_framework_simplejwt'], { stdio: 'ignore' })
    return null
  } catch {
    return 'python3-djangorestframework-simplejwt not installed (apt-get install -y python3-djangorestframework-simplejwt)'
  }
}

/** Django peer scenarios: cookie GET (user loaded from SQLite, simplejwt's default) and login throughput. */
export async function djangoScenarios() {
  const why = missing()
  if (why) return [{ id: 'django', label: 'peer: Django + simplejwt (gunicorn, 2 workers)', skip: why }]
  let db
  const env = () => {
    if (!db) {
      db = join(mkdtempSync(join(tmpdir(), 'cookiejwt-bench-django-')), 'db.sqlite3')
      execFileSync(PYTHON, ['-c', `import benchsite; benchsite.setup(${JSON.stringify(DJANGO_USER.username)}, ${JSON.stringify(DJANGO_USER.password)})`], {
        cwd: site,
        env: { ...process.env, BENCH_KEY, BENCH_DB: db },
        stdio: ['ignore', 'ignore', 'inherit'],
      })
    }
    return { BENCH_KEY, BENCH_DB: db, PYTHONDONTWRITEBYTECODE: '1' }
  }
  const server = () => ({
    name: 'django',
    command: GUNICORN,
    args: (port) => ['--workers', '2', '--bind', `127.0.0.1:${port}`, '--log-level', 'warning', 'benchsite:application'],
    cwd: site,
    env: env(),
    readyPath: '/api/health/',
    multiProcess: true,
  })
  return [
    {
      id: 'django-cookie',
      label: 'peer: Django + simplejwt, cookie GET (DB user)',
      server,
      request: () => ({ path: '/api/me/', headers: { cookie: `access_token=${PEER_TOKEN}` } }),
    },
    loginFloodScenario({
      id: 'django-login',
      label: 'peer: Django login (PBKDF2), req/s',
      server,
      path: '/api/login/',
      credentials: DJANGO_USER,
      throughputOnly: true,
    }),
  ]
}
