/**
 * Gathers the calls of one event-loop turn and answers them together, in the turn's check phase (`setImmediate`):
 * after the poll phase has read every request of the turn from its socket, so each call is answered by work done
 * after it was made (a commit or revocation made before a request was sent is seen by that request), yet the turn's
 * calls share one database read or round trip. `flush` gets the inputs in call order and returns one output per
 * input, in the same order; a synchronous `flush` resolves the calls in the check phase itself, with nothing run in
 * between. A batch holds at most `maxBatch` calls; the next call starts another. Errors reject every call of the
 * batch.
 * @example const generation = perTurn((calls) => { const g = read(); return calls.map(() => g) })
 */
export function perTurn<In, Out>(
  flush: (inputs: readonly In[]) => readonly Out[] | Promise<readonly Out[]>,
  maxBatch = Infinity,
): (input: In) => Promise<Out> {
  interface Waiting {
    resolve(output: Out): void
    reject(error: unknown): void
  }
  let batch: { inputs: In[]; waiting: Waiting[] } | null = null
  const run = (current: { inputs: In[]; waiting: Waiting[] }): void => {
    if (batch === current) batch = null
    const settle = (outputs: readonly Out[]): void =>
      current.waiting.forEach((w, i) => w.resolve(outputs[i] as Out))
    const fail = (error: unknown): void => current.waiting.forEach((w) => w.reject(error))
    try {
      const outputs = flush(current.inputs)
      if (outputs instanceof Promise) outputs.then(settle, fail)
      else settle(outputs)
    } catch (error) {
      fail(error)
    }
  }
  return (input) => {
    let current = batch
    if (current === null) {
      const created = { inputs: [] as In[], waiting: [] as Waiting[] }
      batch = current = created
      setImmediate(() => run(created))
    }
    if (current.inputs.length + 1 >= maxBatch) batch = null
    current.inputs.push(input)
    const joined = current
    return new Promise<Out>((resolve, reject) => joined.waiting.push({ resolve, reject }))
  }
}
