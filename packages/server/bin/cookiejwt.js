#!/usr/bin/env node
// The `cookiejwt` command. The TypeScript sources are compiled to dist/ by `npm run build` (run by `npm install`),
// which also bundles the CLI into dist/bundle/ (scripts/bundle-cli.js): one file to load instead of ~400 modules.
import { existsSync, readFileSync, statSync } from 'node:fs'

const dist = new URL('../dist/', import.meta.url)

/** dist/bundle/cli.js while no `tsc -b` has rebuilt dist/ since it was made (its manifest), else dist/cli/index.js. */
function entryUrl() {
  const manifest = new URL('bundle/manifest.json', dist)
  try {
    const { builds } = JSON.parse(readFileSync(manifest, 'utf8'))
    // A build file that is absent (a published package has none) cannot be newer.
    const fresh = builds.every(
      ({ file, mtimeMs }) =>
        (statSync(new URL(file, manifest), { throwIfNoEntry: false })?.mtimeMs ?? 0) <= mtimeMs,
    )
    if (fresh) return new URL('bundle/cli.js', dist)
  } catch {
    // No bundle (or an unreadable manifest): the unbundled build does the same, only slower to load.
  }
  return new URL('cli/index.js', dist)
}

const entry = entryUrl()
if (!existsSync(entry)) {
  console.error(
    'cookiejwt: the server is not built yet; run `npm run build` at the repository root',
  )
  process.exit(1)
}
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
// The command has returned: a handle that will not close (a database pool stuck in its shutdown) must not keep the
// process alive past `serve`'s bounded shutdown. Unreferenced, so it never delays a clean exit.
setTimeout(() => process.exit(), 3000).unref()
