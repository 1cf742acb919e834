import type { Command } from '../command.js'
import { changepassword } from './changepassword.js'
import { clearlockout } from './clearlockout.js'
import { createsuperuser } from './createsuperuser.js'
import { doctor } from './doctor.js'
import { flushexpiredtokens } from './flushexpiredtokens.js'
import { keys } from './keys.js'
import { importDjango } from './import-django.js'
import { migrate } from './migrate.js'
import { serve } from './serve.js'
import { withWorkers } from '../workers.js'

/** Every `cookiejwt` sub-command, in the order `--help` lists them. */
export const COMMANDS: Command[] = [migrate, createsuperuser, changepassword, flushexpiredtokens, clearlockout, withWorkers(serve), importDjango]
COMMANDS.push(keys, doctor)
