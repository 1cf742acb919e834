// Vitest global set-up of the server project: COOKIEJWT_TEST_ADAPTER=next needs examples/next's production build,
// made once before any test file starts its `next start` (and again only when a source is newer than the build).
import { buildNextExample } from './next.js'

export function setup(): void {
  if (process.env.COOKIEJWT_TEST_ADAPTER === 'next') buildNextExample()
}
