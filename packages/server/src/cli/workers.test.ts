import { describe, expect, it } from 'vitest'
import type { Command } from './command.js'
import { parseWorkers, withWorkers } from './workers.js'

describe('parseWorkers', () => {
  it('defaults to one process', () => {
    expect(parseWorkers(undefined)).toBe(1)
    expect(parseWorkers('')).toBe(1)
  })

  it('accepts whole numbers from 1 to 64', () => {
    expect(parseWorkers('1')).toBe(1)
    expect(parseWorkers('4')).toBe(4)
    expect(parseWorkers('64')).toBe(64)
  })

  it.each(['0', '65', '-1', '2.5', 'two', ' 2', '1e1'])(
    'refuses %j with a one-line reason',
    (value) => {
      expect(() => parseWorkers(value)).toThrow(
        `--workers must be a whole number from 1 to 64 (got "${value}")`,
      )
    },
  )
})

describe('withWorkers', () => {
  const serve: Command = {
    name: 'serve',
    summary: 'run',
    usage: 'cookiejwt serve [--migrate]',
    options: { migrate: { type: 'boolean' } },
    run: async (context) => (context.values.migrate ? 7 : 3),
  }

  it('adds --workers to the usage and options, and runs the command itself for one worker', async () => {
    const wrapped = withWorkers(serve)
    expect(wrapped.usage).toBe('cookiejwt serve [--workers N] [--migrate]')
    expect(wrapped.options.workers).toEqual({ type: 'string' })
    const context = {
      values: { migrate: true },
      positionals: [],
      env: {},
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    }
    expect(await wrapped.run(context)).toBe(7)
    expect(await wrapped.run({ ...context, values: { migrate: true, workers: '1' } })).toBe(7)
    expect(await wrapped.run({ ...context, env: { COOKIEJWT_WORKERS: '1' } })).toBe(7)
    await expect(wrapped.run({ ...context, env: { COOKIEJWT_WORKERS: 'lots' } })).rejects.toThrow(
      /--workers/,
    )
  })
})
