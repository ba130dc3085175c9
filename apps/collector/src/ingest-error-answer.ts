import type { IncomingMessage } from 'node:http'
import { sendError } from '@palisade/http-server'
import type { Response } from 'express'
import { BodyTimeoutError, type IngestRequestError, OverloadedError } from './errors.ts'

/**
 * Answer a request error: 429 with its Retry-After; 408 with `Connection: close`, then the
 * connection is dropped, so a client that stopped sending cannot keep the socket either.
 */
export function sendIngestError(
  request: IncomingMessage,
  response: Response,
  error: IngestRequestError,
): void {
  if (error instanceof OverloadedError) response.setHeader('Retry-After', String(error.retryAfterSeconds))
  if (error instanceof BodyTimeoutError) {
    response.setHeader('Connection', 'close')
    response.once('finish', () => request.destroy())
  }
  sendError(response, error.status, error.code, error.message)
}
