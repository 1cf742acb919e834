import { DEFAULT_SETTINGS, isDefaultUserTable } from '@cookiejwt/core'
import type { RouteDef, ServiceDeps } from '../types.js'
import { accountRoutes } from './accounts.js'
import { adminRoutes } from './admin.js'
import { authRoutes } from './auth.js'
import { diagnosticsRoutes } from './diagnostics.js'
import { healthRoutes } from './health.js'
import { jwksRoutes } from './jwks.js'
import { mfaRoutes } from './mfa.js'
import { sessionRoutes } from './sessions.js'
import { tokenRoutes } from './token.js'

/** Every built-in endpoint of the HTTP contract (docs/http-contract.md), in one list. */
export function defaultRoutes(deps: ServiceDeps): RouteDef[] {
  return [
    ...authRoutes(deps),
    ...accountRoutes(deps),
    ...tokenRoutes(deps),
    ...mfaRoutes(deps),
    ...sessionRoutes(deps),
    ...healthRoutes(deps),
    ...jwksRoutes(deps),
    ...diagnosticsRoutes(deps),
    // The admin works on Django's auth_user; with an application's own user table (settings.userTable) it is absent.
    ...(isDefaultUserTable(deps.settings.userTable, DEFAULT_SETTINGS.userTable)
      ? adminRoutes(deps)
      : []),
  ]
}
