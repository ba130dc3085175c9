import { type CounterReading, cumulativeToDelta, type FormatParser } from '@palisade/formats'
import { type Authenticator, allow, requireToken } from '@palisade/http-server'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { IngestRequestError } from './errors.ts'
import { type IngestOptions, type IngestOutcome, ingestBody } from './ingest-body.ts'
import { createIngestEndpoint } from './ingest-endpoint.ts'
import type { OtlpProtobuf, OtlpSignal } from './otlp-protobuf.ts'

// OTLP/HTTP receiver (opentelemetry-proto docs/specification.md, "OTLP/HTTP"):
//   POST /v1/logs, /v1/metrics; Content-Type application/json or application/x-protobuf;
//   Content-Encoding gzip or none; Authorization: Bearer <token>.
//   200 + Export<Signal>ServiceResponse in the request's encoding: `{}` when every record was
//       taken, `{partialSuccess: {rejected<Items>, errorMessage}}` when some were quarantined (the
//       client must not retry those);
//   400 undecodable body, 401 no valid token, 413 body over the limit, 415 another Content-Type
//       (none retried); 429 and 503 with Retry-After (retried): a google.rpc.Status body in the
//       request's encoding.

type Encoding = 'json' | 'protobuf'

const signals = {
  logs: { format: 'otlp-logs', rejectedField: 'rejectedLogRecords', items: 'log records' },
  metrics: { format: 'otlp-metrics', rejectedField: 'rejectedDataPoints', items: 'data points' },
} as const

/** The request's encoding by its Content-Type (parameters such as charset ignored). */
function encodingOf(request: Request): Encoding | undefined {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json') return 'json'
  if (type === 'application/x-protobuf') return 'protobuf'
  return undefined
}

/** The partial-success message: why records were refused, most frequent reasons first. */
function partialSuccessMessage(outcome: IngestOutcome, items: string): string {
  const reasons = Object.entries(outcome.rejected_by_reason)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 5)
    .map(([reason, count]) => `${count} x ${reason}`)
  const message =
    `${outcome.rejected} of ${outcome.rejected + outcome.accepted} ${items} rejected and kept in ` +
    `Palisade's quarantine: ${reasons.join('; ')}`
  // The spec asks answers to stay small; the quarantine keeps every reason in full.
  return message.length > 4096 ? `${message.slice(0, 4093)}...` : message
}

/**
 * Failure answers as OTLP wants them: the collector's shared error path (token check, admission,
 * body limits, ingest errors) answers `{error: {code, message}}` through `response.json`; on these
 * routes that body becomes a google.rpc.Status in the request's encoding, with the same status
 * code and headers (Retry-After), so that the shared path stays the only one deciding them.
 */
function failuresAsStatus(protobuf: OtlpProtobuf): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const encoding = encodingOf(request)
    const json = response.json.bind(response)
    response.json = (body: unknown) => {
      if (response.statusCode < 400) return json(body)
      const message =
        (body as { error?: { message?: string } } | undefined)?.error?.message ?? 'request failed'
      if (encoding !== 'protobuf') return json({ message })
      response.type('application/x-protobuf')
      return response.send(Buffer.from(protobuf.encodeStatus({ message })))
    }
    next()
  }
}

/** Most cumulative series whose last reading is kept; past it the oldest are forgotten (re-baselined). */
const maxCumulativeSeries = 100_000

/**
 * Cumulative sums (the OpenTelemetry SDKs' default temporality) as the increases since each
 * series' last reading (see cumulativeToDelta); the readings are kept only once the request is
 * stored (`commit`), so a retried request computes the same increases, with the same ids.
 */
function createCumulativeSeries(now: () => number) {
  const startedAt = now()
  const last = new Map<string, CounterReading>()
  return {
    convert(tenant: string, body: Buffer): { body: Buffer; commit: () => void } {
      let request: unknown
      try {
        request = JSON.parse(body.toString('utf8'))
      } catch {
        // Not JSON: the format's own error path answers it.
        return { body, commit: () => {} }
      }
      const converted = cumulativeToDelta(tenant, request, last, startedAt)
      return {
        body: Buffer.from(JSON.stringify(converted.request)),
        commit() {
          for (const [key, reading] of converted.readings) {
            last.delete(key)
            last.set(key, reading)
          }
          for (const key of last.keys()) {
            if (last.size <= maxCumulativeSeries) break
            last.delete(key)
          }
        },
      }
    },
  }
}

/**
 * `POST /v1/<signal>` handlers: OTLP/HTTP logs or metrics, JSON or protobuf, through the same
 * admission, limits, validation and quarantine as `/v1/ingest/<format>`.
 */
export function createOtlpRoute(
  options: IngestOptions,
  signal: OtlpSignal,
  deps: { parsers: ReadonlyMap<string, FormatParser>; protobuf: OtlpProtobuf; authenticator: Authenticator },
): RequestHandler[] {
  const { format, rejectedField, items } = signals[signal]
  const parser = deps.parsers.get(format)
  if (!parser) throw new Error(`the format registry has no "${format}" parser`)
  const cumulative = signal === 'metrics' ? createCumulativeSeries(options.now) : undefined
  const endpoint = createIngestEndpoint(
    options,
    () => format,
    async (request, response, body) => {
      const encoding = encodingOf(request)
      if (!encoding) {
        throw new IngestRequestError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'send Content-Type application/json or application/x-protobuf (OTLP/HTTP)',
        )
      }
      // Both encodings go through the one parser: protobuf is decoded to the JSON encoding's shape.
      const json =
        encoding === 'protobuf'
          ? Buffer.from(JSON.stringify(deps.protobuf.decodeRequest(signal, body)))
          : body
      const tenant = request.principal!.tenant
      const delta = cumulative?.convert(tenant, json)
      const outcome = await ingestBody(options, parser, delta?.body ?? json, { tenant })
      delta?.commit()
      const partialSuccess =
        outcome.rejected > 0
          ? { [rejectedField]: outcome.rejected, errorMessage: partialSuccessMessage(outcome, items) }
          : undefined
      if (encoding === 'protobuf') {
        const answer = deps.protobuf.encodeResponse(signal, partialSuccess ? { partialSuccess } : {})
        response.status(200).type('application/x-protobuf').send(Buffer.from(answer))
        return
      }
      // The JSON encoding writes 64-bit integers as decimal strings.
      response
        .status(200)
        .json(
          partialSuccess
            ? { partialSuccess: { ...partialSuccess, [rejectedField]: String(outcome.rejected) } }
            : {},
        )
    },
  )
  return [failuresAsStatus(deps.protobuf), requireToken(deps.authenticator), allow('ingest'), endpoint]
}
