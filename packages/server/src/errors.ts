import { AuthError } from '@cookiejwt/core'
import type { FastifyError, FastifyReply } from 'fastify'
import { renderServiceError, type ErrorBody, type RenderedError } from './service/errors.js'

export { STATUS_BY_CODE } from './service/errors.js'
export type { ErrorBody }

/**
 * Translates Fastify's own errors (body limit, bad Content-Length, malformed request) into ours, so every adapter
 * answers them alike; other errors pass through unchanged.
 */
export function fromFastifyError(error: unknown): unknown {
  const fe = error as Partial<FastifyError> | null
  switch (fe?.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AuthError(
        'unsupported_media_type',
        'Unsupported media type in request; send application/json.',
      )
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AuthError('payload_too_large', 'Request body is too large.')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AuthError('parse_error', 'JSON parse error - the request body is not valid JSON.')
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new AuthError('parse_error', 'Malformed request.')
    default:
      break
  }
  if (error instanceof AuthError) return error
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500
  if (status === 413) return new AuthError('payload_too_large', 'Request body is too large.')
  if (status >= 400 && status < 500) return new AuthError('parse_error', 'Malformed request.')
  return error
}

/** Status, body and headers for any error, Fastify's included; unknown errors become a bare 500. */
export function renderError(error: unknown): RenderedError {
  return renderServiceError(fromFastifyError(error))
}

/** Sends an error in the DRF shape; used by the authenticate hook so user apps need no error handler of ours. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const { status, body, headers } = renderError(error)
  reply.headers(headers)
  return reply.code(status).header('cache-control', 'no-store').send(body)
}
