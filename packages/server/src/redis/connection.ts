import { Redis } from 'ioredis'
import { ServiceUnavailableError } from '@cookiejwt/core'
import { redisUnavailable } from './errors.js'

/** How to reach Redis and how long to wait for it. */
export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  url: string
  /** Prefix of every key this library writes. @default 'cookiejwt:' */
  keyPrefix?: string
  /** A command without a reply after this many ms fails (→ 503). @default 500 */
  commandTimeoutMs?: number
  /** The first connection attempt gives up after this many ms. @default 2000 */
  connectTimeoutMs?: number
  /** Reconnection backoff cap in ms: after an outage, Redis is used again at most this late. @default 1000 */
  maxBackoffMs?: number
  /** Told about connection errors (for logging; the message never contains the URL). */
  onError?: (error: Error) => void
}

/** The state of a dependency, as `/api/health/` reports it. */
export interface DependencyHealth {
  status: 'ok' | 'unavailable'
  /** Round-trip time of the probe in ms, when it succeeded. */
  latencyMs?: number
  /** Why it is unavailable (a short error class, no secrets). */
  error?: string
}

/** Default key prefix of everything cookiejwt stores in Redis. */
export const DEFAULT_REDIS_KEY_PREFIX = 'cookiejwt:'

/**
 * One lazily connected ioredis client with fail-fast behaviour.
 *
 * Nothing connects until the first use. While Redis is down, every call fails within about
 * `commandTimeoutMs` with `ServiceUnavailableError` — commands are never queued
 * (`enableOfflineQueue: false`) nor retried (`maxRetriesPerRequest: 0`) — and the client keeps
 * reconnecting in the background with capped exponential backoff, so service resumes by itself.
 */
export class RedisConnection {
  readonly keyPrefix: string
  readonly #client: Redis
  readonly #connectTimeoutMs: number
  #connecting: Promise<void> | null = null
  #lastError: string | undefined

  constructor(options: RedisConnectionOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2000
    const maxBackoffMs = options.maxBackoffMs ?? 1000
    this.#client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: this.#connectTimeoutMs,
      // Never give up: an outage ends when Redis is back, without a restart of this process.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxBackoffMs),
      // Fail fast on a replica in read-only mode too: reconnect to find the writable primary.
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    })
    this.#client.on('error', (error: Error) => {
      this.#lastError = describeError(error)
      options.onError?.(new Error(`redis: ${this.#lastError}`))
    })
  }

  /**
   * Returns the ready client, connecting on first use; throws core's `ServiceUnavailableError`
   * (→ 503) fast when Redis is down.
   */
  async client(): Promise<Redis> {
    const client = this.#client
    switch (client.status) {
      case 'ready':
        return client
      case 'wait':
        this.#connecting ??= this.#firstConnect()
        await this.#connecting
        return client
      case 'connecting':
      case 'connect':
        if (this.#connecting) {
          await this.#connecting
          return client
        }
        throw this.#unavailable('reconnecting')
      case 'reconnecting':
        throw this.#unavailable('reconnecting')
      default:
        throw redisUnavailable('connection closed by close()')
    }
  }

  /** Runs `operation` on the ready client; any failure but a reply error becomes `ServiceUnavailableError`. */
  async run<T>(operation: (client: Redis) => Promise<T>): Promise<T> {
    const client = await this.client()
    try {
      return await operation(client)
    } catch (error) {
      // A reply error (e.g. a script bug) is a server fault; everything else is an outage.
      if (error instanceof Error && error.name === 'ReplyError') throw error
      this.#lastError = describeError(error)
      throw redisUnavailable(this.#lastError, error)
    }
  }

  /** The short reason of the last connection failure (an errno code or 'timeout'), if any. */
  get lastError(): string | undefined {
    return this.#lastError
  }

  /** Pings Redis; never throws. */
  async health(): Promise<DependencyHealth> {
    const started = performance.now()
    try {
      await this.run((client) => client.ping())
      return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 10) / 10 }
    } catch (error) {
      const reason = error instanceof ServiceUnavailableError ? this.#lastError : undefined
      return { status: 'unavailable', error: reason ?? describeError(error) }
    }
  }

  /** Closes the connection for good (QUIT when connected). */
  async close(): Promise<void> {
    if (this.#client.status === 'ready') {
      await this.#client.quit().catch(() => this.#client.disconnect())
    } else {
      this.#client.disconnect()
    }
  }

  async #firstConnect(): Promise<void> {
    this.#lastError = undefined
    try {
      // connect() rejects on the first failed attempt; ioredis keeps retrying in the background.
      await withTimeout(this.#client.connect(), this.#connectTimeoutMs + 100)
    } catch (error) {
      // The 'error' event (e.g. ECONNREFUSED) says more than the rejection ("Connection is closed.").
      this.#lastError ??= describeError(error)
      throw this.#unavailable(this.#lastError)
    } finally {
      this.#connecting = null
    }
  }

  #unavailable(reason: string): ServiceUnavailableError {
    return redisUnavailable(this.#lastError ?? reason)
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('connect timeout')), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A short error class for logs and health output: an errno code or the first words, no URL. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error'
  const code = (error as NodeJS.ErrnoException).code
  if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code
  if (/timed? ?out/i.test(error.message)) return 'timeout'
  if (/connection is closed/i.test(error.message)) return 'connection closed'
  return error.message.replace(/\w+:\/\/\S+/g, '<url>').slice(0, 80)
}
