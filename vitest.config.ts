import { defineConfig } from 'vitest/config'

// Each workspace owns its own vitest.config.ts; `npm test` at the root runs them all.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'e2e/vitest.config.ts'],
  },
})
