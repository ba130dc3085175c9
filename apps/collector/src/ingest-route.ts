import { randomUUID } from 'node:crypto'
import { SpanStatusCode, trace } from '@opentelemetry/api'
import { type Bus, type BusMessage, topics } from '@palisade/bus'
import { sendError } from '@palisade/http-server'
import {
  type AnyEvent,
  type EventKind,
  isEventKind,
  partitionKey,
  type QuarantinedRecord,
  validateEvent,
} from '@palisade/schema'
import type { Request, Response } from 'express'
import type { createAdmissionControl } from './admission-control.ts'
import type { CollectorMetrics } from './collector-metrics.ts'
import { IngestRequestError, OverloadedError } from './errors.ts'
import { parseRecords } from './parse-records.ts'
import { type BodyLimits, readBody } from './read-body.ts'

/** The answer to an ingest request. */
export interface IngestAnswer {
  accepted: number
  rejected: number
  errors: { line: number; reason: string }[]
  /** True when more than `maxErrorsListed` records were rejected and the list was cut. */
  errors_truncated?: boolean
}

/** What the ingest handler needs. */
export interface IngestRouteOptions {
  bus: Bus
  limits: BodyLimits
  admission: ReturnType<typeof createAdmissionControl>
  metrics: CollectorMetrics
  /** Clock, epoch ms (injected for tests). */
  now: () => number
  /** At most this many per-record errors in an answer (default 100). */
  maxErrorsListed?: number
}

const tracer = trace.getTracer('palisade-collector')

/**
 * `POST /v1/ingest/:kind`: read NDJSON or a JSON array (plain or gzip), validate each record,
 * publish the valid ones to the kind's topic and the rest to quarantine, and answer only once the
 * bus holds both durably. The request must already be authenticated (`request.principal`).
 */
export function createIngestHandler(options: IngestRouteOptions) {
  const maxErrors = options.maxErrorsListed ?? 100
  return async (request: Request, response: Response): Promise<void> => {
    const kindParam = String(request.params.kind)
    const kind: EventKind | undefined = isEventKind(kindParam) ? kindParam : undefined
    const stopTimer = options.metrics.requestSeconds.startTimer({ kind: kind ?? 'unknown' })
    const finish = (status: number) => {
      options.metrics.requests.inc({ kind: kind ?? 'unknown', status: String(status) })
      stopTimer()
    }
    if (!kind) {
      request.resume()
      sendError(
        response,
        404,
        'UNKNOWN_KIND',
        `unknown event kind "${kindParam}"; use flow, auth, mtls, decision or policy_change`,
      )
      return finish(404)
    }
    const declared = Number(request.headers['content-length'])
    let release: () => void
    try {
      release = options.admission.admit(Number.isFinite(declared) ? declared : options.limits.maxBodyBytes)
    } catch (error) {
      request.resume()
      if (error instanceof OverloadedError) response.setHeader('Retry-After', String(error.retryAfterSeconds))
      const failure = error as IngestRequestError
      sendError(response, failure.status, failure.code, failure.message)
      return finish(failure.status)
    }
    await tracer.startActiveSpan(
      'collector.ingest',
      { attributes: { 'palisade.kind': kind } },
      async (span) => {
        try {
          const tenant = request.principal!.tenant
          const receivedAt = options.now()
          const requestId = randomUUID()
          const body = await readBody(request, options.limits)
          const records = parseRecords(body)
          const events: BusMessage<AnyEvent>[] = []
          const rejected: BusMessage<QuarantinedRecord>[] = []
          for (const record of records) {
            const result = record.ok
              ? validateEvent(kind, record.value, { tenant, observedAt: receivedAt })
              : { ok: false as const, reason: record.reason }
            if (result.ok) {
              events.push({ key: partitionKey(kind, result.event), value: result.event })
            } else {
              rejected.push({
                key: `${tenant}/quarantine`,
                value: {
                  tenant,
                  kind,
                  line: record.line,
                  raw: record.raw,
                  reason: result.reason,
                  request_id: requestId,
                  received_at: receivedAt,
                },
              })
            }
          }
          // Both must be durable before we answer: a lost quarantine record is lost data too.
          await Promise.all([
            options.bus.publish(topics.events(kind), events),
            options.bus.publish(topics.quarantine, rejected),
          ])
          options.metrics.records.inc({ kind, outcome: 'accepted' }, events.length)
          options.metrics.records.inc({ kind, outcome: 'rejected' }, rejected.length)
          span.setAttributes({ 'palisade.accepted': events.length, 'palisade.rejected': rejected.length })
          const answer: IngestAnswer = {
            accepted: events.length,
            rejected: rejected.length,
            errors: rejected
              .slice(0, maxErrors)
              .map(({ value }) => ({ line: value.line, reason: value.reason })),
          }
          if (rejected.length > maxErrors) answer.errors_truncated = true
          response.status(200).json(answer)
          finish(200)
        } catch (error) {
          span.recordException(error as Error)
          span.setStatus({ code: SpanStatusCode.ERROR })
          if (error instanceof IngestRequestError) {
            sendError(response, error.status, error.code, error.message)
            return finish(error.status)
          }
          // The bus did not take the events: nothing was acknowledged, so the client must retry.
          response.setHeader('Retry-After', '1')
          sendError(response, 503, 'NOT_STORED', `events were not stored, retry: ${(error as Error).message}`)
          finish(503)
        } finally {
          release()
          span.end()
        }
      },
    )
  }
}
