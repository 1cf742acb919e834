import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** @type {import('next').NextConfig} */
export default {
  // The contract's paths end in a slash (`/api/auth/me/`); the service matches both forms, Next must not redirect.
  skipTrailingSlashRedirect: true,
  poweredByHeader: false,
  // Loaded by Node at run time, never bundled: native modules (better-sqlite3, argon2) and one service per process.
  serverExternalPackages: ['@cookiejwt/server', '@cookiejwt/core'],
  // In this monorepo they are symlinked workspaces, which Next bundles whatever the list says: keep them external.
  webpack(config, { nextRuntime }) {
    if (nextRuntime === 'nodejs') {
      config.externals.unshift(({ request }, callback) =>
        /^@cookiejwt\/(server|core)(\/|$)/.test(request ?? '') ? callback(null, `module ${request}`) : callback())
    }
    return config
  },
  outputFileTracingRoot: join(dirname(fileURLToPath(import.meta.url)), '../..'),
  async headers() {
    return [{ source: '/((?!api/).*)', headers: [{ key: 'x-frame-options', value: 'DENY' }, { key: 'x-content-type-options', value: 'nosniff' }] }]
  },
}
