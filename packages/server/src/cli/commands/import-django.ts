import { DEFAULT_SETTINGS, isDefaultUserTable } from '@cookiejwt/core'
import { checkDjangoSchema } from '../../django/shared-database.js'
import { importDjangoUsers } from '../../django/import.js'
import { openDatabase } from '../../storage/db.js'
import { pendingMigrations } from '../../storage/migrate.js'
import { CommandError, type Command } from '../command.js'
import { loadConfig } from '../config.js'
import { openFromEnv } from '../context.js'

/**
 * `cookiejwt import-django --from <DATABASE_URL> [--dry-run]`: copies a Django project's users (hashes,
 * flags, names, dates, ids) and unexpired blacklisted refresh tokens into cookiejwt's database
 * (`DATABASE_URL`). Idempotent; never overwrites a different user; exit code 1 when any user was refused.
 */
export const importDjango: Command = {
  name: 'import-django',
  summary: 'copy users from a Django database (idempotent; --dry-run shows what would change)',
  usage: 'cookiejwt import-django --from <DATABASE_URL of the Django database> [--dry-run]',
  options: { from: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run(context) {
    const from = context.values.from
    if (typeof from !== 'string' || from === '') {
      throw new CommandError(
        '--from <DATABASE_URL of the Django database> is required (sqlite:<path> or postgres://…)',
      )
    }
    const dryRun = Boolean(context.values['dry-run'])
    if (
      !isDefaultUserTable(loadConfig(context.env).settings.userTable, DEFAULT_SETTINGS.userTable)
    ) {
      throw new CommandError(
        "import-django copies users into Django's auth_user layout; with a custom userTable use the shared-database " +
          'mode (COOKIEJWT_DJANGO_DATABASE=shared) or copy the rows with your own SQL',
      )
    }
    const source = await openDatabase(from)
    try {
      const problems = (await checkDjangoSchema(source)).filter(
        (p) => !p.includes('token_blacklist'),
      )
      if (problems.length > 0)
        throw new CommandError(`--from is not a usable Django database: ${problems.join('; ')}`)
      const opened = await openFromEnv(context)
      try {
        if ((await pendingMigrations(opened.handle)).length > 0) {
          throw new CommandError(
            'the cookiejwt database is not migrated: run `npx cookiejwt migrate` first',
          )
        }
        const report = await importDjangoUsers(source, opened.handle, { dryRun })
        const verb = dryRun ? 'Would import' : 'Imported'
        context.stdout.write(
          `${verb}: ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged, ` +
            `${report.conflicts.length} refused; ${report.blacklistedTokens} blacklisted token(s).\n`,
        )
        for (const c of report.conflicts)
          context.stderr.write(`refused ${JSON.stringify(c.username)}: ${c.reason}\n`)
        if (dryRun) context.stdout.write('Dry run: nothing was written.\n')
        return report.conflicts.length > 0 ? 1 : 0
      } finally {
        await opened.handle.destroy()
      }
    } finally {
      await source.destroy()
    }
  },
}
