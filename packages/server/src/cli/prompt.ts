import { createInterface, type Interface } from 'node:readline'
import { Writable } from 'node:stream'
import type { CommandContext } from './command.js'

/** Asks questions on the terminal, one readline for the whole command (piped input is read line by line). */
export class Prompter {
  readonly #rl: Interface
  readonly #lines: string[] = []
  readonly #waiting: ((line: string | null) => void)[] = []
  readonly #stdout: NodeJS.WritableStream
  #closed = false
  #muted = false

  constructor(context: CommandContext) {
    this.#stdout = context.stdout
    const output = new Writable({
      write: (chunk, _encoding, callback) => {
        if (!this.#muted) this.#stdout.write(chunk)
        callback()
      },
    })
    this.#rl = createInterface({
      input: context.stdin,
      output,
      terminal: Boolean(context.stdin.isTTY),
    })
    this.#rl.on('line', (line) => {
      const waiter = this.#waiting.shift()
      if (waiter) waiter(line)
      else this.#lines.push(line)
    })
    this.#rl.on('close', () => {
      this.#closed = true
      for (const waiter of this.#waiting.splice(0)) waiter(null)
    })
  }

  /** Resolves to the answer, or null at end of input. With `hidden`, typed characters are not echoed. */
  ask(question: string, hidden = false): Promise<string | null> {
    this.#stdout.write(question)
    const buffered = this.#lines.shift()
    if (buffered !== undefined) return Promise.resolve(buffered)
    if (this.#closed) return Promise.resolve(null)
    this.#muted = hidden
    return new Promise((resolve) => {
      this.#waiting.push((line) => {
        if (hidden) this.#stdout.write('\n')
        this.#muted = false
        resolve(line)
      })
    })
  }

  close(): void {
    this.#rl.close()
  }
}
