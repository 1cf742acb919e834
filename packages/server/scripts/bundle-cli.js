// Bundles the `cookiejwt` CLI — dist/cli/index.js and every module it imports, Kysely and @cookiejwt/core included —
// into dist/bundle/ (rolldown), so that `cookiejwt serve` loads a handful of files instead of about 400 ES modules:
// Node's module loader, not our code, was most of the cold start (bench/README.md, findings 10 and 16). Each command
// stays its own chunk, loaded only when run. Runs after `tsc -b` (the root `npm run build`); bin/cookiejwt.js uses
// the bundle only while it is newer than that build (dist/bundle/manifest.json), and dist/cli/ otherwise.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rolldown } from 'rolldown'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, 'dist', 'bundle')
const input = join(root, 'dist', 'cli', 'index.js')

// Loaded from node_modules at run time, as before: native addons, and packages that find files of their own beside
// their code (pino's transport workers) or that load lazily anyway (pg's optional pg-native, ioredis with REDIS_URL).
// ajv and nodemailer are required on first use through createRequire, which the bundler does not follow.
const EXTERNAL = ['argon2', '@node-rs/argon2', 'bcrypt', 'better-sqlite3', 'pg', 'ioredis', 'pino']
// A bundled third-party module must not locate files relative to itself: the bundle has moved it.
const LOCATION_DEPENDENT = /\b(__dirname|__filename|require\.resolve)\b|\bimport\.meta\b/

const builtins = new Set(builtinModules)
const isExternal = (id) =>
  id.startsWith('node:') ||
  builtins.has(id) ||
  EXTERNAL.some((name) => id === name || id.startsWith(`${name}/`))

/** The directory and name of the package that holds `file`. */
function packageOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8'))
      if (name) return { dir, name }
    }
  }
  throw new Error(`no package.json above ${file}`)
}

const posix = (path) => path.split(sep).join('/')
const ownName = packageOf(input).name

/**
 * `import.meta.url` in a bundled module of ours keeps meaning that module's own file, so paths relative to it (the
 * package.json, the repository root, core's password list) resolve as they did: for this package relative to the
 * bundle, for another workspace package (@cookiejwt/core) relative to wherever Node resolves that package from here.
 */
function originalUrl(id) {
  const pkg = packageOf(id)
  if (pkg.name === ownName) {
    return `new URL(${JSON.stringify(posix(relative(outDir, id)))}, import.meta.url).href`
  }
  // Resolved from this script, which sits in the same package as the bundle.
  const entry = fileURLToPath(import.meta.resolve(pkg.name))
  const path = posix(relative(dirname(entry), id))
  return `new URL(${JSON.stringify(path)}, import.meta.resolve(${JSON.stringify(pkg.name)})).href`
}

// Packages of ours (not in node_modules) whose modules went into the bundle.
const sources = new Set()

const bundleSafety = {
  name: 'cookiejwt-bundle-safety',
  transform(code, id) {
    if (id.startsWith('\0')) return null // the bundler's own runtime
    if (id.includes(`${sep}node_modules${sep}`)) {
      const hit = LOCATION_DEPENDENT.exec(code)
      if (hit)
        throw new Error(
          `${id} uses ${hit[0]}: add its package to EXTERNAL in ${posix(relative(root, fileURLToPath(import.meta.url)))}`,
        )
      return null
    }
    sources.add(packageOf(id).dir)
    if (!code.includes('import.meta')) return null
    const other = /\bimport\.meta\.(?!url\b)\w+/.exec(code)
    if (other)
      throw new Error(`${id} uses ${other[0]}; only import.meta.url is rewritten for the bundle`)
    return { code: code.replaceAll('import.meta.url', originalUrl(id)), map: null }
  },
}

const started = performance.now()
const bundle = await rolldown({
  input: { cli: input },
  platform: 'node',
  cwd: root,
  external: isExternal,
  plugins: [bundleSafety],
  onLog(level, log) {
    // Fail on anything the bundler could not resolve or would have to guess (an import() of a computed path).
    if (level === 'warn') throw new Error(`bundle: ${log.message}`)
  },
})
rmSync(outDir, { recursive: true, force: true })
mkdirSync(outDir, { recursive: true })
const { output } = await bundle.write({
  dir: outDir,
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: '[name]-[hash].js',
  sourcemap: false,
})
await bundle.close()

// The builds the bundle was made from: a later `tsc -b` of either package (e.g. `npm run typecheck`) makes it stale.
const builds = [...sources]
  .map((dir) => join(dir, 'tsconfig.tsbuildinfo'))
  .filter((file) => existsSync(file))
  .map((file) => ({ file: posix(relative(outDir, file)), mtimeMs: statSync(file).mtimeMs }))
writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify({ builds }, null, 2)}\n`)
const size = output.reduce(
  (sum, chunk) => sum + (chunk.type === 'chunk' ? chunk.code.length : 0),
  0,
)
console.log(
  `bundle: dist/bundle/ (${output.length} files, ${Math.round(size / 1024)} KiB) in ${Math.round(performance.now() - started)} ms`,
)
