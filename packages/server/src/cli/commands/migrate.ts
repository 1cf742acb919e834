import { prepareSharedDjangoDatabase } from '../../django/shared-database.js'
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
    const { handle } = await openFromEnv(context)
    try {
      if (await prepareSharedDjangoDatabase(context.env, handle)) {
        context.stdout.write('Shared Django database: the schema belongs to Django (manage.py migrate); nothing to do.\n')
        return 0
      }
      const { error, results } = await migrateToLatest(handle)
      for (const r of results ?? []) {
        context.stdout.write(`  ${r.status === 'Success' ? 'Applied' : r.status} ${r.migrationName}\n`)
      }
      if (error) {
        context.stderr.write(`cookiejwt migrate: failed: ${(error as Error).message ?? String(error)}\n`)
        return 1
      }
      context.stdout.write(results?.length ? 'Migrations applied.\n' : 'No migrations to apply.\n')
      return 0
    } finally {
      await handle.destroy()
    }
  },
}
