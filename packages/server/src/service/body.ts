import type { IncomingMessage } from 'node:http'
import { AuthError } from '@cookiejwt/core'
import sjson from 'secure-json-parse'

/** The error every adapter raises for a body over the limit (413 `payload_too_large`). */
export function payloadTooLarge(): AuthError {
  return new AuthError('payload_too_large', 'Request body is too large.')
}

/**
 * Reads a Node request stream into one buffer, refusing more than `limit` bytes as soon as they arrive (and a
 * `Content-Length` over the limit before reading anything). Resolves null for an empty body.
 */
export function readNodeBody(stream: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  const declared = Number(stream.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(payloadTooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        // Stop reading; the adapter answers 413 and the connection is closed by the framework.
        stream.pause()
        reject(payloadTooLarge())
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(size === 0 ? null : Buffer.concat(chunks, size))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(new AuthError('parse_error', 'Malformed request.', { cause: error }))
    }
    const cleanup = () => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
  })
}

/** Reads a WHATWG `Request` body (Hono, Next.js) with the same limit rules as `readNodeBody`. */
export async function readWebBody(request: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > limit) throw payloadTooLarge()
  if (request.body === null) return null
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw payloadTooLarge()
    }
    chunks.push(value)
  }
  if (size === 0) return null
  return Buffer.concat(chunks, size)
}

// Exactly application/json, as Fastify: `+json` types are not what a browser client of this API sends.
const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i

/**
 * Parses a JSON request body as Fastify does: only `application/json` (415 otherwise; `text/plain` is a CORS simple
 * type a foreign page could send without a preflight), `__proto__` and `constructor.prototype` refused (400
 * `parse_error`). V8's JSON.parse does not recurse on the stack, so deep nesting is not a crash.
 */
export function parseJsonBody(raw: Uint8Array | null, contentType: string | undefined): unknown {
  if (raw === null) {
    if (contentType !== undefined && contentType !== '' && !JSON_TYPE.test(contentType))
      throw unsupported()
    return undefined
  }
  if (contentType === undefined || !JSON_TYPE.test(contentType)) throw unsupported()
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
  try {
    return sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' })
  } catch (error) {
    throw parseError(error)
  }
}

function unsupported(): AuthError {
  return new AuthError(
    'unsupported_media_type',
    'Unsupported media type in request; send application/json.',
  )
}

function parseError(cause?: unknown): AuthError {
  return new AuthError('parse_error', 'JSON parse error - the request body is not valid JSON.', {
    cause,
  })
}
