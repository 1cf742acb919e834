// Reports the min+gzip size of the React-free client (dist/client-entry.js bundled) and of the full entry
// without React; fails when the client goes over its 3 kB budget or any built file imports @cookiejwt/core at run time.
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const BUDGET = 3 * 1024
const root = fileURLToPath(new URL('..', import.meta.url))

async function measure(entry) {
  const result = await build({
    root,
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      lib: { entry, formats: ['es'], fileName: 'bundle' },
      rollupOptions: { external: ['react', 'react/jsx-runtime', 'axios'] },
    },
  })
  const output = (Array.isArray(result) ? result[0] : result).output
  const code = output
    .filter((chunk) => chunk.type === 'chunk')
    .map((chunk) => chunk.code)
    .join('')
  return { min: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length }
}

const rows = [
  ['@cookiejwt/react/client', 'dist/client-entry.js'],
  ['@cookiejwt/react (without React)', 'dist/index.js'],
  ['@cookiejwt/react/axios', 'dist/axios.js'],
  ['@cookiejwt/react/admin', 'dist/admin.js'],
]
let failed = false
for (const [name, entry] of rows) {
  const { min, gzip } = await measure(entry)
  console.log(`size: ${name}: ${min} B min, ${gzip} B min+gzip`)
  if (entry === 'dist/client-entry.js' && gzip > BUDGET) {
    console.error(`size: the client is over its ${BUDGET} B min+gzip budget`)
    failed = true
  }
}
// Types come from @cookiejwt/core with `import type` only: no emitted file may import it at run time.
const { readdirSync, readFileSync } = await import('node:fs')
for (const file of readdirSync(new URL('../dist/', import.meta.url)).filter((f) => f.endsWith('.js'))) {
  if (readFileSync(new URL(`../dist/${file}`, import.meta.url), 'utf8').includes('@cookiejwt/core')) {
    console.error(`size: dist/${file} imports @cookiejwt/core at run time; use \`import type\``)
    failed = true
  }
}
process.exitCode = failed ? 1 : 0
