import { parseArgs } from 'node:util'
import { ImproperlyConfigured } from '@cookiejwt/core'
import { CommandError, type CommandContext } from './command.js'
import { COMMANDS } from './commands/index.js'

async function help(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((c) => c.load()))
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    'usage: cookiejwt <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `cookiejwt <command> --help` for a command's options. Configuration comes from the environment",
    '(DATABASE_URL, COOKIEJWT_SIGNING_KEY, HOST, PORT, …; see the README).',
    '',
  ].join('\n')
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(
  argv: string[],
  io: Partial<Pick<CommandContext, 'env' | 'stdin' | 'stdout' | 'stderr'>> = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout
  const stderr = io.stderr ?? process.stderr
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    stdout.write(await help())
    return name ? 0 : 2
  }
  const entry = COMMANDS.find((c) => c.name === name)
  if (!entry) {
    stderr.write(`cookiejwt: unknown command "${name}"\n\n${await help()}`)
    return 2
  }
  const command = await entry.load()
  let parsed
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    stderr.write(`cookiejwt ${name}: ${(error as Error).message}\nusage: ${command.usage}\n`)
    return 2
  }
  if (parsed.values.help) {
    stdout.write(`usage: ${command.usage}\n\n${command.summary}\n`)
    return 0
  }
  try {
    return await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      env: io.env ?? process.env,
      stdin: io.stdin ?? process.stdin,
      stdout,
      stderr,
    })
  } catch (error) {
    if (error instanceof CommandError || error instanceof ImproperlyConfigured) {
      stderr.write(`cookiejwt ${name}: ${error.message}\n`)
      return 1
    }
    const cause = (error as { cause?: Error }).cause
    stderr.write(
      `cookiejwt ${name}: ${(error as Error).message}${cause ? ` (${cause.message})` : ''}\n`,
    )
    return 1
  }
}
