import { createPasswordHashers, type PasswordHashers } from '@cookiejwt/core'
import { openDatabase, type DatabaseHandle } from '../storage/db.js'
import { KyselyTokenStore } from '../storage/tokens.js'
import { KyselyUserStore } from '../storage/users.js'
import { loadConfig, type CliConfig } from './config.js'
import type { CommandContext } from './command.js'

/** An open database with its stores, for commands that need them. */
export interface Opened {
  config: CliConfig
  handle: DatabaseHandle
  users: KyselyUserStore
  tokens: KyselyTokenStore
  hashers: PasswordHashers
}

/** Loads the configuration and opens the database it names; the caller closes `handle`. */
export async function openFromEnv(context: CommandContext): Promise<Opened> {
  const config = loadConfig(context.env)
  const handle = await openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax })
  const hashers = createPasswordHashers({
    ...(config.settings.passwordHasherOptions as object),
    default: config.settings.passwordHasher,
  })
  const { userTable } = config.settings
  return {
    config,
    handle,
    users: new KyselyUserStore(handle, userTable),
    tokens: new KyselyTokenStore(handle, userTable),
    hashers,
  }
}
