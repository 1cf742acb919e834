import { defineProject } from 'vitest/config'

// Browser tests: real headless Chromium (Debian's /usr/bin/chromium) against the real server and the built
// app. Each file starts its own servers (free ports) and browser; they mostly wait on timers, so the files
// run side by side.
export default defineProject({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
