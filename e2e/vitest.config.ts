import { defineProject } from 'vitest/config'

// Browser tests: real headless Chromium (Debian's /usr/bin/chromium) against the real server and the built
// app. Files run one after another (each starts its own servers and a browser) to stay kind to 2 cores.
export default defineProject({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
