import { randomUUID } from 'node:crypto'
import { type Bus, type BusMessage, topics } from '@palisade/bus'
import type { FormatParser, ParseOptions, ParseResult } from '@palisade/formats'
import {
  type AnyEvent,
  type EventKind,
  partitionKey,
  type QuarantinedRecord,
  type RetentionDays,
  validateEvent,
} from '@palisade/schema'
import type { createAdmissionControl } from './admission-control.ts'
import type { CollectorMetrics } from './collector-metrics.ts'
import { BodyUnreadableError, IngestRequestError } from './errors.ts'
import type { BodyLimits } from './read-body.ts'

/** The answer to an ingest request. */
export interface IngestAnswer {
  accepted: number
  rejected: number
  errors: { line: number; reason: string }[]
  /** True when more than `maxErrorsListed` records were rejected and the list was cut. */
  errors_truncated?: boolean
  /** How many records each reason rejected (all of them, not cut). */
  rejected_by_reason: Record<string, number>
  /** Lines read that are deliberately not events (other statistics of a stats dump), when any. */
  ignored?: number
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
  /** Days the store keeps each kind: an event it would not keep is rejected, never acknowledged. */
  retention: RetentionDays
  /** Told why events were not stored (the detail kept from the client), to log it. */
  onStoreFailure?: (error: unknown) => void
  /** At most this many per-record errors in an answer (default 100). */
  maxErrorsListed?: number
}

/** The request a body came with: every record rejected from it names these. */
export interface IngestRequest {
  tenant: string
  /** The format it was sent as (quarantined records' `kind`). */
  format: string
  requestId: string
  receivedAt: number
}

/** Records sorted by the pipeline: valid events per kind, ready to publish, and the rejected. */
export interface SortedRecords {
  accepted: Map<EventKind, BusMessage<AnyEvent>[]>
  rejected: QuarantinedRecord[]
}

/**
 * Parse, validate and publish one body of a format, bound to the authenticated tenant. Resolves
 * only once the bus holds the valid events and the quarantined records durably. The pipeline, one
 * named step each: parse → validate → quarantine and publish (together) → answer.
 */
export async function ingestBody(
  options: IngestOptions,
  parser: FormatParser,
  body: Buffer,
  context: { tenant: string; parseOptions?: ParseOptions },
): Promise<IngestOutcome> {
  const request: IngestRequest = {
    tenant: context.tenant,
    format: parser.name,
    requestId: randomUUID(),
    receivedAt: options.now(),
  }
  const parsed = parseBody(parser, body, context.parseOptions)
  const sorted = validateRecords(parsed, request, options.retention)
  // Events and quarantine must both be durable before we answer: a lost rejected record is lost data.
  await Promise.all([
    publishAccepted(options.bus, sorted.accepted),
    quarantine(options.bus, request, sorted.rejected),
  ])
  countRecords(options.metrics, parser.name, sorted)
  const outcome = answerOf(sorted, options.maxErrorsListed ?? 100)
  if (parsed.ignored) outcome.ignored = parsed.ignored
  return outcome
}

/** Step 1, parse: the body as text, through the format's parser (records and per-record rejections). */
export function parseBody(parser: FormatParser, body: Buffer, parseOptions?: ParseOptions): ParseResult {
  try {
    return parser.parse(decodeUtf8(body), parseOptions)
  } catch (error) {
    if (error instanceof IngestRequestError) throw error
    throw new BodyUnreadableError(
      `body is not readable as ${parser.name}: ${(error as Error).message}`,
      error,
    )
  }
}

/**
 * Step 2, validate: each parsed record against the event model, bound to the request's tenant.
 * A record that fails is rejected with its reason and its line; the rest become bus messages
 * keyed so that one identity's events stay in one partition.
 */
export function validateRecords(
  parsed: ParseResult,
  request: IngestRequest,
  retention: RetentionDays,
): SortedRecords {
  const sorted: SortedRecords = {
    accepted: new Map(),
    rejected: parsed.rejected.map((record) => rejectedRecord(request, record)),
  }
  for (const record of parsed.records) {
    const result = validateEvent(record.kind, record.event, {
      tenant: request.tenant,
      observedAt: request.receivedAt,
      retention,
    })
    if (!result.ok) {
      sorted.rejected.push(rejectedRecord(request, { ...record, reason: result.reason }))
      continue
    }
    let messages = sorted.accepted.get(record.kind)
    if (!messages) {
      messages = []
      sorted.accepted.set(record.kind, messages)
    }
    messages.push({ key: partitionKey(record.kind, result.event), value: result.event })
  }
  sorted.rejected.sort((a, b) => a.line - b.line)
  return sorted
}

/** Step 3a, publish: the valid events, on their kind's topic; resolves once the bus holds them. */
export async function publishAccepted(bus: Bus, accepted: SortedRecords['accepted']): Promise<void> {
  await Promise.all([...accepted].map(([kind, messages]) => bus.publish(topics.events(kind), messages)))
}

/** Step 3b, quarantine: the rejected records, with their bytes and reasons, on the quarantine topic. */
export async function quarantine(
  bus: Bus,
  request: Pick<IngestRequest, 'tenant'>,
  rejected: QuarantinedRecord[],
) {
  await bus.publish(
    topics.quarantine,
    rejected.map((record) => ({ key: `${request.tenant}/quarantine`, value: record })),
  )
}

/** Step 4, answer: counts, the first `maxErrors` rejections with their lines, and counts per reason. */
export function answerOf(sorted: SortedRecords, maxErrors: number): IngestOutcome {
  let accepted = 0
  for (const messages of sorted.accepted.values()) accepted += messages.length
  const { rejected } = sorted
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
 * Quarantine a whole body that could not be decoded (kept as base64, since it is not text), and
 * resolve once the bus holds it: nothing a client sent is dropped, even when it is unreadable.
 */
export async function quarantineBody(
  options: IngestOptions,
  context: { tenant: string; kind: string },
  received: Buffer,
  reason: string,
): Promise<void> {
  const request = {
    tenant: context.tenant,
    format: context.kind,
    requestId: randomUUID(),
    receivedAt: options.now(),
  }
  const record = rejectedRecord(request, { line: 1, raw: `base64:${received.toString('base64')}`, reason })
  await quarantine(options.bus, request, [record])
  options.metrics.records.inc({ kind: context.kind, outcome: 'rejected' })
}

function rejectedRecord(
  request: IngestRequest,
  record: { line: number; raw: string; reason: string },
): QuarantinedRecord {
  return {
    tenant: request.tenant,
    kind: request.format,
    line: record.line,
    raw: record.raw,
    reason: record.reason,
    request_id: request.requestId,
    received_at: request.receivedAt,
  }
}

function countRecords(metrics: CollectorMetrics, format: string, sorted: SortedRecords): void {
  for (const [kind, messages] of sorted.accepted)
    metrics.records.inc({ kind, outcome: 'accepted' }, messages.length)
  metrics.records.inc({ kind: format, outcome: 'rejected' }, sorted.rejected.length)
}

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
