import cluster from 'node:cluster'

/** A worker tells the primary it closed its listening socket. */
export const STOPPED_ACCEPTING = 'cookiejwt:stopped-accepting'
/** The primary tells a draining worker to close its connections now. */
export const CLOSE_CONNECTIONS = 'cookiejwt:close-connections'

/** Whether `message` is the cookiejwt IPC message `kind`. */
export function isDrainMessage(message: unknown, kind: string): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { cookiejwt?: unknown }).cookiejwt === kind
  )
}

/**
 * In a node:cluster worker: tells the primary this worker stopped accepting and resolves once the primary answers
 * that the connections may close (at once when the other workers keep accepting; in a full stop, once none
 * accepts), or after `timeoutMs`. Outside a worker it resolves at once.
 */
export function untilConnectionsMayClose(timeoutMs: number): Promise<void> {
  const send = process.send?.bind(process)
  if (!cluster.isWorker || !send) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      process.off('message', onMessage)
      resolve()
    }
    const onMessage = (message: unknown): void => {
      if (isDrainMessage(message, CLOSE_CONNECTIONS)) done()
    }
    const timer = setTimeout(done, timeoutMs)
    process.on('message', onMessage)
    send({ cookiejwt: STOPPED_ACCEPTING }, undefined, {}, (error: Error | null) => {
      if (error) done()
    })
  })
}
