/**
 * A throwaway Django + DRF + simplejwt project for interop tests.
 *
 * ```ts
 * const django = await createDjangoProject({ simpleJwt: { SIGNING_KEY: KEY, AUDIENCE: 'api' } })
 * await django.manage('migrate')
 * const { access } = await django.tool<{ access: string }>({ op: 'mint', username: 'alice' })
 * const server = await django.startServer()   // runserver on a free port
 * ```
 *
 * Needs Debian's python3-django, python3-djangorestframework, python3-djangorestframework-simplejwt,
 * python3-argon2, python3-bcrypt (`.ci/run` installs them). Without them `requireDjango()` throws
 * with the install command: interop tests FAIL, never skip.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const DJANGO_PACKAGES =
  'python3-django python3-djangorestframework python3-djangorestframework-simplejwt python3-django-cors-headers python3-argon2 python3-bcrypt python3-psycopg2'

let cachedPython: string | undefined

/** A python3 that imports Django, DRF, simplejwt, argon2-cffi and bcrypt; throws saying what to install. */
export function requireDjango(): string {
  if (cachedPython) return cachedPython
  const errors: string[] = []
  // Debian's interpreter first: a pyenv/venv python3 earlier on PATH lacks the apt packages.
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(
      python,
      ['-c', 'import django, rest_framework, rest_framework_simplejwt, argon2, bcrypt, psycopg2'],
      { encoding: 'utf8' },
    )
    if (r.status === 0) return (cachedPython = python)
    errors.push(`${python}: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`)
  }
  throw new Error(
    `The real Django stack is needed for this test but is missing (${errors.join('; ')}). ` +
      `Install it with: apt-get install -y ${DJANGO_PACKAGES}`,
  )
}

/** Options of {@link createDjangoProject}. */
export interface DjangoProjectOptions {
  /** `SIMPLE_JWT`; keys ending in `LIFETIME`/`LIFETIME_…` and `LEEWAY` are seconds (→ timedelta). */
  simpleJwt?: Record<string, unknown>
  /** SQLite file Django uses; default a file in the project folder. */
  databasePath?: string
  /** Django's SECRET_KEY (also simplejwt's default SIGNING_KEY). */
  secretKey?: string
  /** `PASSWORD_HASHERS` (dotted paths); default Django's default list with argon2 first. */
  passwordHashers?: string[]
  /**
   * A `postgres://user@host:port/name` URL: Django uses PostgreSQL (psycopg2, Debian's python3-psycopg2) instead of
   * SQLite. `databasePath` is then unused.
   */
  postgresUrl?: string
  /**
   * A custom `AUTH_USER_MODEL`: an `accounts` app whose `User(AbstractUser)` lives in table `accounts_user`, with
   * `DEFAULT_AUTO_FIELD = BigAutoField` (so its id is a bigint), as `startproject` sets it. Run
   * `manage(['makemigrations', 'accounts'])` before `migrate`.
   */
  customUserModel?: boolean
}

/** A running `manage.py runserver`. */
export interface DjangoServer {
  readonly url: string
  stop(): Promise<void>
}

/** A Django project in a temp folder. */
export interface DjangoProject {
  readonly dir: string
  readonly python: string
  readonly databasePath: string
  /** Runs `manage.py <args>`; resolves stdout, rejects with stderr on a non-zero exit. */
  manage(args: string[], env?: Record<string, string>): Promise<string>
  /**
   * Runs one operation of `tool.py` (see TOOL_PY) in one long-lived Python process with Django set
   * up (calls are queued); resolves its JSON answer, rejects with the Python error.
   */
  tool<T = Record<string, unknown>>(command: Record<string, unknown>): Promise<T>
  /** Starts `runserver` on a free loopback port and waits until it answers. */
  startServer(): Promise<DjangoServer>
  /** Stops servers and removes the folder. */
  cleanup(): Promise<void>
}

const SETTINGS_PY = String.raw`
import json, os
from datetime import timedelta
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, 'config.json')) as f:
    CFG = json.load(f)
SECRET_KEY = CFG['secret_key']
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
INSTALLED_APPS = [
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'rest_framework',
    'rest_framework_simplejwt.token_blacklist',
] + (['accounts'] if CFG.get('custom_user') else [])
if CFG.get('custom_user'):
    AUTH_USER_MODEL = 'accounts.User'
MIDDLEWARE = ['django.middleware.common.CommonMiddleware']
ROOT_URLCONF = 'interop.urls'
if CFG.get('postgres'):
    DATABASES = {'default': dict(ENGINE='django.db.backends.postgresql', **CFG['postgres'])}
else:
    DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': CFG['database'],
                             'OPTIONS': {'timeout': 20}}}
USE_TZ = True
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField' if CFG.get('custom_user') else 'django.db.models.AutoField'
if CFG.get('password_hashers'):
    PASSWORD_HASHERS = CFG['password_hashers']
else:
    PASSWORD_HASHERS = [
        'django.contrib.auth.hashers.Argon2PasswordHasher',
        'django.contrib.auth.hashers.PBKDF2PasswordHasher',
        'django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher',
        'django.contrib.auth.hashers.BCryptSHA256PasswordHasher',
        'django.contrib.auth.hashers.BCryptPasswordHasher',
    ]
REST_FRAMEWORK = {
    'DEFAULT_AUTHENTICATION_CLASSES': ['rest_framework_simplejwt.authentication.JWTAuthentication'],
    'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.IsAuthenticated'],
}
SIMPLE_JWT = {}
for key, value in CFG.get('simple_jwt', {}).items():
    if ('LIFETIME' in key or key == 'LEEWAY') and isinstance(value, (int, float)):
        value = timedelta(seconds=value)
    SIMPLE_JWT[key] = value
LOGGING = {'version': 1, 'disable_existing_loggers': True}
`

const URLS_PY = String.raw`
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views

class Me(APIView):
    def get(self, request):
        u = request.user
        return Response({'id': u.id, 'username': u.username, 'email': u.email})

urlpatterns = [
    path('api/token/', views.TokenObtainPairView.as_view()),
    path('api/token/refresh/', views.TokenRefreshView.as_view()),
    path('api/token/verify/', views.TokenVerifyView.as_view()),
    path('api/token/blacklist/', views.TokenBlacklistView.as_view()),
    path('api/token/sliding/', views.TokenObtainSlidingView.as_view()),
    path('api/token/sliding/refresh/', views.TokenRefreshSlidingView.as_view()),
    path('api/me/', Me.as_view()),
]
`

// One JSON command on stdin → one JSON answer on stdout, with Django set up.
const TOOL_PY = String.raw`
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'interop.settings')
import django
django.setup()
from django.contrib.auth import get_user_model, authenticate
from django.contrib.auth.hashers import make_password, check_password
from rest_framework_simplejwt.tokens import RefreshToken, AccessToken, SlidingToken, UntypedToken
from rest_framework_simplejwt.exceptions import TokenError
User = get_user_model()
def handle(cmd):
    op = cmd['op']
    out = {}

    def token_result(cls, token):
        try:
            t = cls(token)
            if cls is RefreshToken or cls is SlidingToken:
                t.check_blacklist()
            return {'ok': True, 'payload': t.payload}
        except TokenError as e:
            return {'ok': False, 'error': str(e)}

    if op == 'create_user':
        hasher = cmd.get('hasher')
        u = User.objects.create_user(cmd['username'], cmd.get('email', ''),
                                     None if hasher else cmd.get('password'))
        if hasher:
            u.password = make_password(cmd['password'], hasher=hasher)
        for key in ('is_staff', 'is_superuser', 'is_active', 'first_name', 'last_name'):
            if key in cmd:
                setattr(u, key, cmd[key])
        u.save()
        out = {'id': u.id, 'password': u.password}
    elif op == 'user':
        u = User.objects.filter(username=cmd['username']).first()
        out = None if u is None else {'id': u.id, 'password': u.password, 'is_active': u.is_active,
                                      'last_login': u.last_login.isoformat() if u.last_login else None}
    elif op == 'set_active':
        n = User.objects.filter(username=cmd['username']).update(is_active=cmd['is_active'])
        out = {'updated': n}
    elif op == 'authenticate':
        u = authenticate(username=cmd['username'], password=cmd['password'])
        out = {'ok': u is not None, 'password': u.password if u else None}
    elif op == 'mint':
        from datetime import timedelta
        from rest_framework_simplejwt.settings import api_settings
        from rest_framework_simplejwt.utils import aware_utcnow
        u = User.objects.get(username=cmd['username'])
        refresh = RefreshToken.for_user(u)
        access = refresh.access_token
        sliding = SlidingToken.for_user(u)
        if cmd.get('ago'):
            past = aware_utcnow() - timedelta(seconds=cmd['ago'])
            for t in (refresh, access, sliding):
                t.set_iat(at_time=past)
                t.set_exp(from_time=past)
            sliding.set_exp('refresh_exp', from_time=past, lifetime=api_settings.SLIDING_TOKEN_REFRESH_LIFETIME)
        out = {'refresh': str(refresh), 'access': str(access), 'sliding': str(sliding)}
    elif op == 'verify':
        cls = {'access': AccessToken, 'refresh': RefreshToken, 'sliding': SlidingToken}[cmd['type']]
        out = token_result(cls, cmd['token'])
    elif op == 'blacklist':
        try:
            RefreshToken(cmd['token']).blacklist()
            out = {'ok': True}
        except TokenError as e:
            out = {'ok': False, 'error': str(e)}
    elif op == 'settings':
        from rest_framework_simplejwt.settings import api_settings
        out = {k: str(getattr(api_settings, k)) for k in cmd['keys']}
    else:
        raise ValueError('unknown op ' + op)
    return out

# One JSON command per line on stdin, one JSON answer per line on stdout.
for line in sys.stdin:
    try:
        answer = {'result': handle(json.loads(line))}
    except BaseException as e:
        answer = {'error': '%s: %s' % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(answer, default=str) + '\n')
    sys.stdout.flush()
`

function run(
  python: string,
  args: string[],
  options: { cwd: string; input?: string; env?: Record<string, string> },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      python,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${python} ${args.join(' ')} failed: ${stderr || error.message}`))
        else resolve(stdout)
      },
    )
    child.stdin?.end(options.input ?? '')
  })
}

/** A free loopback TCP port (closed again before Django binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Writes a Django project into a new temp folder. */
export async function createDjangoProject(options: DjangoProjectOptions = {}): Promise<DjangoProject> {
  const python = requireDjango()
  const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-django-'))
  const databasePath = options.databasePath ?? join(dir, 'db.sqlite3')
  mkdirSync(join(dir, 'interop'))
  writeFileSync(join(dir, 'interop', '__init__.py'), '')
  writeFileSync(join(dir, 'interop', 'settings.py'), SETTINGS_PY)
  writeFileSync(join(dir, 'interop', 'urls.py'), URLS_PY)
  writeFileSync(join(dir, 'tool.py'), TOOL_PY)
  if (options.customUserModel) {
    mkdirSync(join(dir, 'accounts'))
    writeFileSync(join(dir, 'accounts', '__init__.py'), '')
    writeFileSync(
      join(dir, 'accounts', 'models.py'),
      'from django.contrib.auth.models import AbstractUser\n\n\nclass User(AbstractUser):\n    pass\n',
    )
  }
  const pgUrl = options.postgresUrl ? new URL(options.postgresUrl) : null
  writeFileSync(
    join(dir, 'manage.py'),
    "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'interop.settings')\n" +
      'from django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n',
  )
  writeFileSync(
    join(dir, 'interop', 'config.json'),
    JSON.stringify({
      secret_key: options.secretKey ?? 'django-insecure-interop-test-key-0123456789abcdef',
      database: databasePath,
      simple_jwt: options.simpleJwt ?? {},
      password_hashers: options.passwordHashers ?? null,
      custom_user: options.customUserModel ?? false,
      postgres: pgUrl
        ? {
            NAME: pgUrl.pathname.slice(1),
            USER: decodeURIComponent(pgUrl.username),
            PASSWORD: decodeURIComponent(pgUrl.password),
            HOST: pgUrl.hostname,
            PORT: pgUrl.port,
          }
        : null,
    }),
  )
  const servers = new Set<ChildProcess>()
  let toolProcess: ToolProcess | undefined

  const project: DjangoProject = {
    dir,
    python,
    databasePath,
    manage: (args, env) => run(python, ['manage.py', ...args], { cwd: dir, env }),
    tool<T>(command: Record<string, unknown>): Promise<T> {
      toolProcess ??= startTool(python, dir)
      return toolProcess.call(command) as Promise<T>
    },
    async startServer(): Promise<DjangoServer> {
      // The free port is closed before Django binds it: another process may take it meanwhile, so retry.
      for (let attempt = 1; ; attempt++) {
        try {
          return await startOnce()
        } catch (error) {
          if (attempt >= 3 || !/exited/.test((error as Error).message)) throw error
        }
      }
    },
    async cleanup() {
      if (toolProcess) await toolProcess.stop()
      await Promise.all([...servers].map(stopChild))
      servers.clear()
      rmSync(dir, { recursive: true, force: true })
    },
  }

  async function startOnce(): Promise<DjangoServer> {
    const port = await freePort()
    const child = spawn(python, ['manage.py', 'runserver', '--noreload', `127.0.0.1:${port}`], {
      cwd: dir,
      env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    servers.add(child)
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    const url = `http://127.0.0.1:${port}`
    const deadline = Date.now() + 30_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Django runserver exited: ${stderr}`)
      try {
        // Our Django answers 401 with DRF's body; anything else is another server (port race).
        const res = await fetch(`${url}/api/me/`)
        const text = await res.text()
        if (res.status === 401 && text.includes('Authentication credentials were not provided.')) break
        child.kill('SIGKILL')
        throw new Error(`Django runserver exited: port ${port} is answered by another server`)
      } catch (error) {
        if ((error as Error).message.includes('exited')) throw error
        if (Date.now() > deadline) throw new Error(`Django runserver did not start: ${stderr}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    return {
      url,
      stop: () => stopChild(child).then(() => void servers.delete(child)),
    }
  }
  return project
}

interface ToolProcess {
  call(command: Record<string, unknown>): Promise<unknown>
  stop(): Promise<void>
}

function startTool(python: string, dir: string): ToolProcess {
  const child = spawn(python, ['tool.py'], {
    cwd: dir,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = []
  let buffered = ''
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString('utf8')
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      const next = waiting.shift()
      if (!next) continue
      const answer = JSON.parse(line) as { result?: unknown; error?: string }
      if (answer.error !== undefined) next.reject(new Error(`Django tool: ${answer.error}`))
      else next.resolve(answer.result)
    }
  })
  child.on('exit', () => {
    for (const w of waiting.splice(0)) w.reject(new Error(`Django tool exited: ${stderr}`))
  })
  return {
    call(command) {
      return new Promise((resolve, reject) => {
        if (child.exitCode !== null) return reject(new Error(`Django tool exited: ${stderr}`))
        waiting.push({ resolve, reject })
        child.stdin!.write(JSON.stringify(command) + '\n')
      })
    },
    stop() {
      child.stdin!.end()
      return stopChild(child)
    },
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 5000).unref()
  })
}
