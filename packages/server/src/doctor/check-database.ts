import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AuthSettings } from '@cookiejwt/core'
import { openDatabase } from '../storage/db.js'
import { checkUserTable } from '../storage/user-table.js'
import type { Finding } from './findings.js'

/**
 * `cookiejwt doctor`'s database check: the user table against `settings.userTable`, as `serve` checks it at
 * start-up. A SQLite file that does not exist yet is not opened (doctor never creates one).
 */
export async function checkDatabase(
  settings: AuthSettings,
  database: { url: string; poolMax: number; cwd?: string },
): Promise<Finding[]> {
  if (database.url.startsWith('sqlite:')) {
    const path = database.url.slice('sqlite:'.length)
    if (path !== ':memory:' && !existsSync(resolve(database.cwd ?? process.cwd(), path))) return []
  }
  let handle
  try {
    handle = await openDatabase(database.url, {
      poolMax: Math.min(database.poolMax, 2),
      ...(database.cwd ? { cwd: database.cwd } : {}),
    })
    const problems = await checkUserTable(handle, settings.userTable)
    return problems.map((problem) => ({
      level: 'error' as const,
      code: 'user-table',
      message: `The server would not start: ${problem}.`,
    }))
  } catch (error) {
    return [
      {
        level: 'warning',
        code: 'database',
        message: `Could not read the database to check the user table (${(error as Error).message}).`,
      },
    ]
  } finally {
    await handle?.destroy()
  }
}
