import { SpanStatusCode, trace } from '@opentelemetry/api'
import { sendError } from '@palisade/http-server'
import type { Request, Response } from 'express'
import type { Admission } from './admission-control.ts'
import { BodyUnreadableError, IngestRequestError } from './errors.ts'
import type { IngestOptions } from './ingest-body.ts'
import { sendIngestError } from './ingest-error-answer.ts'
import { readBody } from './read-body.ts'

const tracer = trace.getTracer('palisade-collector')

/**
 * The bus (or the store behind it) did not take the events: nothing was acknowledged, so the client
 * must retry. The answer is generic; what the engine said goes to the server log only, since its
 * text names internals (tables, query fragments, versions) that no client should see.
 */
function answerNotStored(options: IngestOptions, response: Response, error: unknown): void {
  options.onStoreFailure?.(error)
  response.setHeader('Retry-After', '1')
  sendError(response, 503, 'NOT_STORED', 'events were not stored; retry after the Retry-After delay')
}

/**
 * Wraps an ingest route: admission control (429 + Retry-After before the body is read), the body
 * within its limits, a span, metrics, and the error answers (400/413/503). `handle` does the rest.
 */
export function createIngestEndpoint(
  options: IngestOptions,
  label: (request: Request) => string,
  handle: (request: Request, response: Response, body: Buffer) => Promise<void>,
  /** Answers a body that cannot even be decoded, instead of 400 (see the OPA route). */
  onUnreadable?: (request: Request, response: Response, error: BodyUnreadableError) => Promise<void>,
) {
  return async (request: Request, response: Response): Promise<void> => {
    const name = label(request)
    const stopTimer = options.metrics.requestSeconds.startTimer({ kind: name })
    const finish = () => {
      options.metrics.requests.inc({ kind: name, status: String(response.statusCode) })
      stopTimer()
    }
    let admission: Admission
    try {
      admission = options.admission.admit()
    } catch (error) {
      request.resume()
      sendIngestError(request, response, error as IngestRequestError)
      return finish()
    }
    await tracer.startActiveSpan(
      'collector.ingest',
      { attributes: { 'palisade.format': name } },
      async (span) => {
        try {
          let body: Buffer
          try {
            body = await readBody(request, options.limits, admission)
          } catch (error) {
            if (!(onUnreadable && error instanceof BodyUnreadableError)) throw error
            await onUnreadable(request, response, error)
            return
          }
          await handle(request, response, body)
        } catch (error) {
          span.recordException(error as Error)
          span.setStatus({ code: SpanStatusCode.ERROR })
          if (error instanceof IngestRequestError) {
            sendIngestError(request, response, error)
          } else {
            answerNotStored(options, response, error)
          }
        } finally {
          admission.release()
          span.end()
          finish()
        }
      },
    )
  }
}
