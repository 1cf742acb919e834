#!/usr/bin/env node
// The `cookiejwt` command. The TypeScript sources are compiled to dist/ by `npm run build` (run by `npm install`).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli/index.js', import.meta.url)
if (!existsSync(entry)) {
  console.error('cookiejwt: the server is not built yet; run `npm run build` at the repository root')
  process.exit(1)
}
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
// The command has returned: a handle that will not close (a database pool stuck in its shutdown) must not keep the
// process alive past `serve`'s bounded shutdown. Unreferenced, so it never delays a clean exit.
setTimeout(() => process.exit(), 3000).unref()
