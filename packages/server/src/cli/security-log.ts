import { pino } from 'pino'
import type { SecurityLogger } from '../security-log.js'
import type { CommandContext } from './command.js'

/**
 * The security log of a one-shot command: pino records on stderr (stdout carries the command's own output), at
 * `LOG_LEVEL` (default `info`; `silent` writes none), in the format `serve` writes, with the command's name.
 */
export function commandSecurityLogger(context: CommandContext, command: string): SecurityLogger {
  return pino({ level: context.env.LOG_LEVEL ?? 'info' }, context.stderr as never).child({
    command,
  })
}
