import {
  migrateSharedDjangoDatabase,
  prepareSharedDjangoDatabase,
} from '../../django/shared-database.js'
import { migrateToLatest } from '../../storage/migrate.js'
import type { Command } from '../command.js'
import { openFromEnv } from '../context.js'

/** `cookiejwt migrate`: creates or upgrades the schema; idempotent. */
export const migrate: Command = {
  name: 'migrate',
  summary: 'create or upgrade the database schema (idempotent)',
  usage: 'cookiejwt migrate',
  options: {},
  async run(context) {
    const { handle, config } = await openFromEnv(context)
    const { userTable } = config.settings
    try {
      // COOKIEJWT_DJANGO_DATABASE=shared: Django's tables stay manage.py migrate's; only cookiejwt_* tables are added.
      const shared = await prepareSharedDjangoDatabase(context.env, handle, userTable)
      const { error, results } = await (shared ? migrateSharedDjangoDatabase : migrateToLatest)(
        handle,
        userTable,
      )
      for (const r of results ?? []) {
        context.stdout.write(
          `  ${r.status === 'Success' ? 'Applied' : r.status} ${r.migrationName}\n`,
        )
      }
      if (error) {
        context.stderr.write(
          `cookiejwt migrate: failed: ${(error as Error).message ?? String(error)}\n`,
        )
        return 1
      }
      context.stdout.write(results?.length ? 'Migrations applied.\n' : 'No migrations to apply.\n')
      return 0
    } finally {
      await handle.destroy()
    }
  },
}
