import { randomUUID } from 'node:crypto'
import { SpanStatusCode, trace } from '@opentelemetry/api'
import { type Bus, type BusMessage, topics } from '@palisade/bus'
import type { FormatParser, ParseOptions, ParseResult } from '@palisade/formats'
import { sendError } from '@palisade/http-server'
import {
  type AnyEvent,
  type EventKind,
  partitionKey,
  type QuarantinedRecord,
  validateEvent,
} from '@palisade/schema'
import type { Request, Response } from 'express'
import type { createAdmissionControl } from './admission-control.ts'
import type { CollectorMetrics } from './collector-metrics.ts'
import { BodyUnreadableError, IngestRequestError, OverloadedError } from './errors.ts'
import { type BodyLimits, readBody } from './read-body.ts'

/** The answer to an ingest request. */
export interface IngestAnswer {
  accepted: number
  rejected: number
  errors: { line: number; reason: string }[]
  /** True when more than `maxErrorsListed` records were rejected and the list was cut. */
  errors_truncated?: boolean
  /** How many records each reason rejected (all of them, not cut). */
  rejected_by_reason: Record<string, number>
}

/** The outcome of one ingested body, for answers in other shapes (OTLP, OPA). */
export interface IngestOutcome extends IngestAnswer {
  /** Rejected records, all of them (the answer's `errors` may be cut). */
  rejectedRecords: QuarantinedRecord[]
}

/** What the ingest path needs. */
export interface IngestOptions {
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

/** Rejections counted by reason; reasons that name a value are many, so at most 50 are listed. */
function countReasons(rejected: QuarantinedRecord[]): Record<string, number> {
  const counts: Record<string, number> = {}
  let listed = 0
  for (const { reason } of rejected) {
    const key = reason in counts || listed < 50 ? reason : 'other reasons'
    if (!(key in counts)) listed++
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

function decodeUtf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch (error) {
    throw new BodyUnreadableError('body is not valid UTF-8', error)
  }
}

/**
 * Parse, validate and publish one body of a format, bound to the authenticated tenant. Resolves
 * only once the bus holds the valid events and the quarantined records durably.
 */
export async function ingestBody(
  options: IngestOptions,
  parser: FormatParser,
  body: Buffer,
  context: { tenant: string; parseOptions?: ParseOptions },
): Promise<IngestOutcome> {
  const receivedAt = options.now()
  const requestId = randomUUID()
  let parsed: ParseResult
  try {
    parsed = parser.parse(decodeUtf8(body), context.parseOptions)
  } catch (error) {
    if (error instanceof IngestRequestError) throw error
    throw new BodyUnreadableError(
      `body is not readable as ${parser.name}: ${(error as Error).message}`,
      error,
    )
  }
  const byKind = new Map<EventKind, BusMessage<AnyEvent>[]>()
  const rejected: QuarantinedRecord[] = parsed.rejected.map((record) => ({
    tenant: context.tenant,
    kind: parser.name,
    line: record.line,
    raw: record.raw,
    reason: record.reason,
    request_id: requestId,
    received_at: receivedAt,
  }))
  for (const record of parsed.records) {
    const result = validateEvent(record.kind, record.event, {
      tenant: context.tenant,
      observedAt: receivedAt,
    })
    if (!result.ok) {
      rejected.push({
        tenant: context.tenant,
        kind: parser.name,
        line: record.line,
        raw: record.raw,
        reason: result.reason,
        request_id: requestId,
        received_at: receivedAt,
      })
      continue
    }
    let messages = byKind.get(record.kind)
    if (!messages) {
      messages = []
      byKind.set(record.kind, messages)
    }
    messages.push({ key: partitionKey(record.kind, result.event), value: result.event })
  }
  rejected.sort((a, b) => a.line - b.line)
  // Events and quarantine must both be durable before we answer: a lost rejected record is lost data.
  await Promise.all([
    ...[...byKind].map(([kind, messages]) => options.bus.publish(topics.events(kind), messages)),
    options.bus.publish(
      topics.quarantine,
      rejected.map((record) => ({ key: `${context.tenant}/quarantine`, value: record })),
    ),
  ])
  let accepted = 0
  for (const [kind, messages] of byKind) {
    accepted += messages.length
    options.metrics.records.inc({ kind, outcome: 'accepted' }, messages.length)
  }
  options.metrics.records.inc({ kind: parser.name, outcome: 'rejected' }, rejected.length)
  const maxErrors = options.maxErrorsListed ?? 100
  const outcome: IngestOutcome = {
    accepted,
    rejected: rejected.length,
    errors: rejected.slice(0, maxErrors).map((record) => ({ line: record.line, reason: record.reason })),
    rejectedRecords: rejected,
    rejected_by_reason: countReasons(rejected),
  }
  if (rejected.length > maxErrors) outcome.errors_truncated = true
  return outcome
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
    const declared = Number(request.headers['content-length'])
    let release: () => void
    try {
      const wire = Number.isFinite(declared) ? declared : options.limits.maxBodyBytes
      // What a request holds in memory is its body decompressed: a gzip body counts at an assumed
      // 16x ratio (JSON telemetry compresses about 10x), capped by the decompressed-size limit.
      const gzip = (request.headers['content-encoding'] ?? '').toLowerCase().includes('gzip')
      release = options.admission.admit(
        gzip ? Math.min(wire * 16, options.limits.maxDecompressedBytes) : wire,
      )
    } catch (error) {
      request.resume()
      if (error instanceof OverloadedError) response.setHeader('Retry-After', String(error.retryAfterSeconds))
      const failure = error as IngestRequestError
      sendError(response, failure.status, failure.code, failure.message)
      return finish()
    }
    await tracer.startActiveSpan(
      'collector.ingest',
      { attributes: { 'palisade.format': name } },
      async (span) => {
        try {
          let body: Buffer
          try {
            body = await readBody(request, options.limits)
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
            sendError(response, error.status, error.code, error.message)
          } else {
            // The bus did not take the events: nothing was acknowledged, so the client must retry.
            response.setHeader('Retry-After', '1')
            sendError(
              response,
              503,
              'NOT_STORED',
              `events were not stored, retry: ${(error as Error).message}`,
            )
          }
        } finally {
          release()
          span.end()
          finish()
        }
      },
    )
  }
}

/**
 * `POST /v1/ingest/:format`: a body in one of the registered formats (our own NDJSON per kind, or
 * a wire format), plain or gzip; query parameters are the format's options. Answers
 * `{accepted, rejected, errors: [{line, reason}]}` once everything is durably on the bus.
 */
export function createIngestHandler(options: IngestOptions, parsers: ReadonlyMap<string, FormatParser>) {
  const known = [...parsers.keys()].join(', ')
  const endpoint = createIngestEndpoint(
    options,
    (request) => (parsers.has(String(request.params.format)) ? String(request.params.format) : 'unknown'),
    async (request, response, body) => {
      const parser = parsers.get(String(request.params.format))!
      const parseOptions: ParseOptions = {}
      for (const [key, value] of Object.entries(request.query)) {
        if (!parser.options?.includes(key) || typeof value !== 'string') {
          throw new IngestRequestError(400, 'UNKNOWN_OPTION', `format ${parser.name} has no option "${key}"`)
        }
        parseOptions[key] = value
      }
      const { rejectedRecords: _all, ...answer } = await ingestBody(options, parser, body, {
        tenant: request.principal!.tenant,
        parseOptions,
      })
      response.status(200).json(answer)
    },
  )
  return async (request: Request, response: Response): Promise<void> => {
    if (!parsers.has(String(request.params.format))) {
      request.resume()
      sendError(
        response,
        404,
        'UNKNOWN_FORMAT',
        `unknown format "${String(request.params.format)}"; use one of: ${known}`,
      )
      options.metrics.requests.inc({ kind: 'unknown', status: '404' })
      return
    }
    await endpoint(request, response)
  }
}

/**
 * Quarantine a whole body that could not be decoded (kept as base64, since it is not text), and
 * resolve once the bus holds it: nothing a client sent is dropped, even when it is unreadable.
 */
export async function quarantineBody(
  options: IngestOptions,
  context: { tenant: string; kind: string },
  received: Buffer,
  reason: string,
): Promise<void> {
  const record: QuarantinedRecord = {
    tenant: context.tenant,
    kind: context.kind,
    line: 1,
    raw: `base64:${received.toString('base64')}`,
    reason,
    request_id: randomUUID(),
    received_at: options.now(),
  }
  await options.bus.publish(topics.quarantine, [{ key: `${context.tenant}/quarantine`, value: record }])
  options.metrics.records.inc({ kind: context.kind, outcome: 'rejected' })
}
