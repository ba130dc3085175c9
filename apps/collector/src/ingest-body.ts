import { isUtf8 } from 'node:buffer'
import { randomUUID } from 'node:crypto'
import { type Bus, type BusMessage, topics } from '@palisade/bus'
import type {
  FormatParser,
  ParsedRecord,
  ParseOptions,
  ParseResult,
  WorkloadDirectory,
} from '@palisade/formats'
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
  /**
   * The tenant's pod-IP → workload join (issue 15, cause 3), learnt from the records that name both
   * and applied to flows that name only an address; absent: records go on as parsed.
   */
  workloadDirectory?: (tenant: string) => WorkloadDirectory
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
 * named step each: parse → join workloads by pod IP → validate → quarantine and publish (together) → answer.
 *
 * On a bus that sends as messages come (`publishSliceSize`, Kafka), valid events are handed over
 * in slices while the rest of the body is still parsed and validated, so that the producer's
 * first request does not wait for the whole body; the answer still waits for every slice. Our
 * own NDJSON is then parsed and validated part by part (its parse refuses no part: a JSON array
 * is one part); a wire format is parsed whole first, since its workload join may fill a record
 * from one read later in the body.
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
  const directory = options.workloadDirectory?.(context.tenant)
  // Our own NDJSON is validated against its bytes as sent (see validateRecords): it only teaches.
  const fill = !(parser.kinds as readonly string[]).includes(parser.name)
  const sorted: SortedRecords = { accepted: new Map(), rejected: [] }
  const publisher = slicedPublisher(options.bus, sorted.accepted)
  let ignored = 0
  const take = (parsed: ParseResult) => {
    for (const record of parsed.rejected) sorted.rejected.push(rejectedRecord(request, record))
    if (parsed.ignored) ignored += parsed.ignored
  }
  try {
    if (publisher.sliceSize !== undefined && !fill) {
      for await (const part of parseParts(parser, body, context.parseOptions)) {
        take(part)
        directory?.enrich(part.records, { fill })
        await validateInto(sorted, part.records, request, options.retention, publisher.handOver)
      }
    } else {
      const parsed = await parseBodyInParts(parser, body, context.parseOptions)
      take(parsed)
      directory?.enrich(parsed.records, { fill })
      await validateInto(sorted, parsed.records, request, options.retention, publisher.handOver)
    }
    sorted.rejected.sort((a, b) => a.line - b.line)
    // Events and quarantine must both be durable before we answer: a lost rejected record is lost data.
    await Promise.all([publisher.finish(), quarantine(options.bus, request, sorted.rejected)])
  } finally {
    // Whatever happened, no slice handed over is left unawaited (its failure is the answer's).
    await publisher.settled()
  }
  forgetJsonText(sorted.accepted)
  countRecords(options.metrics, parser.name, sorted)
  const outcome = answerOf(sorted, options.maxErrorsListed ?? 100)
  if (ignored) outcome.ignored = ignored
  return outcome
}

/**
 * Publishes the accepted messages of each kind: in slices of the bus's `publishSliceSize` as they
 * fill (when it has one), the rest at `finish`, which resolves once the bus holds them all.
 */
function slicedPublisher(bus: Bus, accepted: SortedRecords['accepted']) {
  const sliceSize = bus.publishSliceSize
  const handedOver = new Map<EventKind, number>()
  const publishes: Promise<void>[] = []
  const publishFrom = (kind: EventKind, messages: BusMessage<AnyEvent>[], all: boolean) => {
    const from = handedOver.get(kind) ?? 0
    const to =
      all || sliceSize === undefined
        ? messages.length
        : from + Math.floor((messages.length - from) / sliceSize) * sliceSize
    if (to <= from) return
    handedOver.set(kind, to)
    // The list itself only when it is complete: validation goes on appending to it after a slice,
    // and a bus may read the list it was given after that (the Kafka producer encodes it in steps).
    const published = bus.publish(
      topics.events(kind),
      all && from === 0 ? messages : messages.slice(from, to),
    )
    // Awaited in `finish` (or `settled`): marked handled now, so that a failure before then is not unhandled.
    published.catch(() => {})
    publishes.push(published)
  }
  return {
    sliceSize,
    /** After each slice of validation: hand over every kind's full slices. */
    handOver:
      sliceSize === undefined
        ? undefined
        : () => {
            for (const [kind, messages] of accepted) publishFrom(kind, messages, false)
          },
    /** Hand over the rest; resolves once the bus holds every message accepted. */
    async finish(): Promise<void> {
      for (const [kind, messages] of accepted) publishFrom(kind, messages, true)
      await Promise.all(publishes)
    },
    /** Resolves once every publish handed over has settled, however. */
    settled: () => Promise.allSettled(publishes),
  }
}

/** Step 1, parse: the body as text, through the format's parser (records and per-record rejections). */
export function parseBody(parser: FormatParser, body: Buffer, parseOptions?: ParseOptions): ParseResult {
  return parseText(parser, decodeUtf8(body), parseOptions)
}

function parseText(parser: FormatParser, text: string, parseOptions?: ParseOptions): ParseResult {
  try {
    return parser.parse(text, parseOptions)
  } catch (error) {
    if (error instanceof IngestRequestError) throw error
    throw new BodyUnreadableError(
      `body is not readable as ${parser.name}: ${(error as Error).message}`,
      error,
    )
  }
}

/** Characters of a body parsed between two yields to the event loop (about 120 events of ours). */
const charsPerPart = 64 * 1024

/**
 * Step 1 for a large body, part by part: cut where the format says its records may be cut
 * (`splitInput`, as a replay cuts a file into requests), each part parsed after a yield to the
 * event loop and its lines numbered as in the whole body. Parsing a 10,000-event body at once held
 * the event loop for tens of milliseconds, and with it the Kafka producer's next request (see
 * {@link validateRecords}). A body that is small, or that the format cannot cut, is one part.
 */
export async function* parseParts(
  parser: FormatParser,
  body: Buffer,
  parseOptions?: ParseOptions,
): AsyncGenerator<ParseResult> {
  if (body.length <= charsPerPart || !parser.splitInput) {
    yield parseBody(parser, body, parseOptions)
    return
  }
  let parts: { text: string; firstLine: number }[]
  try {
    parts = parser.splitInput(decodeUtf8(body), charsPerPart)
  } catch {
    // Read whole, to answer (or refuse) the body exactly as a small one.
    yield parseBody(parser, body, parseOptions)
    return
  }
  if (parts.length <= 1) {
    yield parseBody(parser, body, parseOptions)
    return
  }
  for (const [index, part] of parts.entries()) {
    if (index > 0) await new Promise((resolve) => setImmediate(resolve))
    const parsed = parseText(parser, part.text, parseOptions)
    const offset = part.firstLine - 1
    for (const record of parsed.records) record.line += offset
    for (const record of parsed.rejected) record.line += offset
    yield parsed
  }
}

/** Step 1 for a large body: its parts (see {@link parseParts}) as one result. */
export async function parseBodyInParts(
  parser: FormatParser,
  body: Buffer,
  parseOptions?: ParseOptions,
): Promise<ParseResult> {
  let whole: ParseResult | undefined
  for await (const parsed of parseParts(parser, body, parseOptions)) {
    if (whole === undefined) {
      whole = parsed
      continue
    }
    for (const record of parsed.records) whole.records.push(record)
    for (const record of parsed.rejected) whole.rejected.push(record)
    if (parsed.ignored) whole.ignored = (whole.ignored ?? 0) + parsed.ignored
  }
  return whole ?? { records: [], rejected: [] }
}

/** Records validated between two yields to the event loop (see {@link validateRecords}). */
const recordsPerSlice = 128

/**
 * Step 2, validate: each parsed record against the event model, bound to the request's tenant.
 * A record that fails is rejected with its reason and its line; the rest become bus messages
 * keyed so that one identity's events stay in one partition. A large body is validated in slices
 * with a yield to the event loop between them: the Kafka producer sends one request at a time and
 * must see each acknowledgement at once, not after a 10,000-record body has been validated (on a
 * busy machine that wait held the broker idle for most of the time; see `npm run bench:kafka`).
 */
export async function validateRecords(
  parsed: ParseResult,
  request: IngestRequest,
  retention: RetentionDays,
): Promise<SortedRecords> {
  const sorted: SortedRecords = {
    accepted: new Map(),
    rejected: parsed.rejected.map((record) => rejectedRecord(request, record)),
  }
  await validateInto(sorted, parsed.records, request, retention)
  sorted.rejected.sort((a, b) => a.line - b.line)
  return sorted
}

/** Step 2 into `sorted` (rejections appended unsorted); `afterSlice` runs after each slice. */
async function validateInto(
  sorted: SortedRecords,
  records: readonly ParsedRecord[],
  request: IngestRequest,
  retention: RetentionDays,
  afterSlice?: () => void,
): Promise<void> {
  let sinceYield = 0
  for (const record of records) {
    if (++sinceYield > recordsPerSlice) {
      sinceYield = 1
      afterSlice?.()
      await new Promise((resolve) => setImmediate(resolve))
    }
    const result = validateEvent(record.kind, record.event, {
      tenant: request.tenant,
      observedAt: request.receivedAt,
      retention,
      // Our own NDJSON: the event is `JSON.parse` of its line, so the line speaks for every string in it.
      jsonText: request.format === record.kind ? record.raw : undefined,
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
    messages.push({ key: partitionKey(record.kind, result.event), value: result.event, json: result.json })
  }
  afterSlice?.()
}

/** Step 3a, publish: the valid events, on their kind's topic; resolves once the bus holds them. */
export async function publishAccepted(bus: Bus, accepted: SortedRecords['accepted']): Promise<void> {
  await Promise.all([...accepted].map(([kind, messages]) => bus.publish(topics.events(kind), messages)))
}

/**
 * Once the bus holds the events, their JSON text has served (the store or Kafka took it): dropped,
 * since each text is a slice of the request's body and would keep the whole body alive for as long
 * as the detectors behind still hold the events (the in-process bus hands them the same messages).
 */
function forgetJsonText(accepted: SortedRecords['accepted']): void {
  for (const messages of accepted.values()) for (const message of messages) message.json = undefined
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

/**
 * The body as text, refused when it is not UTF-8 (what a strict `TextDecoder` does, BOM dropped
 * too), through Node's native check and decoder: the decoder is a measurable part of every request.
 */
function decodeUtf8(body: Buffer): string {
  if (!isUtf8(body)) throw new BodyUnreadableError('body is not valid UTF-8')
  const bom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf
  return body.toString('utf8', bom ? 3 : 0)
}
