import type { ParseArgsConfig } from 'node:util'

/** What a command gets: parsed arguments, the environment and the standard streams. */
export interface CommandContext {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
  env: NodeJS.ProcessEnv
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

/** One `cookiejwt` sub-command. `run` resolves to the exit code; it never calls process.exit. */
export interface Command {
  name: string
  summary: string
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  run(context: CommandContext): Promise<number>
}

/** A failure to report as one line and a non-zero exit code. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CommandError'
  }
}
