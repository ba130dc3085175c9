import type { Checkpoint, CheckpointStore } from '@palisade/clickhouse'
import type { Declarations } from '@palisade/declarations'
import { createDetectorRuntime, type DetectorRuntime, type RekeyedEvent } from '@palisade/detector'
import { createRiskScorer, type RiskState } from '@palisade/detectors'
import { createWorkloadDirectory, formatParsers, type ParsedRecord } from '@palisade/formats'
import { type AnyEvent, type EventKind, type Finding, validateEvent } from '@palisade/schema'

/** A scenario's wire-format streams, as both evaluations' generators write them. */
export interface WireStreams {
  tenant: string
  streams: readonly {
    format: string
    join?: string
    options?: Record<string, string>
    items: readonly { text: string }[]
  }[]
}

/**
 * Records parsed, joined and validated as the collector does, in event-time order; `requestSize`
 * cuts each stream into requests of that many records, as a shipper sends them.
 *
 * The collector joins workloads by pod IP (the workload directory) request by request as records
 * arrive; a replay sends the formats of each slice of event time side by side, slice after slice.
 * So here every parsed record is joined in event-time order, one slice of `joinSliceMs` at a time,
 * so that an Envoy line is named from what Hubble showed of the same pod at about the same time,
 * as in the all-in-one, and not from the last thing a whole stream parsed first taught.
 */
export function parseStreams(
  scenario: WireStreams,
  requestSize = Number.POSITIVE_INFINITY,
  joinSliceMs = 5 * 60_000,
): {
  events: { kind: EventKind; event: AnyEvent }[]
  rejected: number
  rejectedByReason: Record<string, number>
} {
  let rejected = 0
  const rejectedByReason: Record<string, number> = {}
  // Our own NDJSON only teaches the directory (the collector validates it against its bytes as sent).
  const parsedRecords: { record: ParsedRecord; ts: number; fill: boolean }[] = []
  for (const stream of scenario.streams) {
    const parser = formatParsers.get(stream.format)!
    const fill = !(parser.kinds as readonly string[]).includes(parser.name)
    for (let i = 0; i < stream.items.length; i += requestSize) {
      const texts = stream.items.slice(i, i + requestSize).map((item) => item.text)
      const body = stream.join === 'json-array' ? `[${texts.join(',')}]` : texts.join('\n')
      const parsed = parser.parse(body, stream.options ?? {})
      rejected += parsed.rejected.length
      for (const reject of parsed.rejected)
        rejectedByReason[reject.reason] = (rejectedByReason[reject.reason] ?? 0) + 1
      for (const record of parsed.records) {
        const ts = typeof record.event.ts === 'number' ? record.event.ts : 0
        parsedRecords.push({ record, ts, fill })
      }
    }
  }
  parsedRecords.sort((a, b) => a.ts - b.ts)
  const directory = createWorkloadDirectory()
  for (let i = 0; i < parsedRecords.length; ) {
    const slice = Math.floor(parsedRecords[i]!.ts / joinSliceMs)
    const teach: ParsedRecord[] = []
    const join: ParsedRecord[] = []
    for (; i < parsedRecords.length && Math.floor(parsedRecords[i]!.ts / joinSliceMs) === slice; i++) {
      const { record, fill } = parsedRecords[i]!
      ;(fill ? join : teach).push(record)
    }
    directory.enrich(teach, { fill: false })
    directory.enrich(join)
  }
  const events: { kind: EventKind; event: AnyEvent }[] = []
  for (const { record } of parsedRecords) {
    const result = validateEvent(record.kind, record.event, { tenant: scenario.tenant, observedAt: 0 })
    if (result.ok) events.push({ kind: record.kind, event: result.event as AnyEvent })
    else rejected++
  }
  // Validation turns a time written as text into epoch ms: order by the validated time.
  events.sort((a, b) => a.event.ts - b.event.ts)
  return { events, rejected, rejectedByReason }
}

/**
 * The declared rule suite in the detector runtime, its findings fed to the risk scorer as the
 * risk stage does, with checkpoints in memory: no storage, bus or router.
 */
export function createInProcessDetection(
  declarations: Declarations,
  runtimeOptions: Partial<Parameters<typeof createDetectorRuntime>[0]> = {},
): {
  findings: Finding[]
  runtime: DetectorRuntime
  /** Take findings found outside `replay` (such as the silence check's). */
  take(batch: Finding[]): void
  /** Events in event-time order, in batches of one kind per ten seconds of event time. */
  replay(events: readonly { kind: EventKind; event: AnyEvent }[]): Promise<void>
} {
  const saved = new Map<string, Checkpoint[]>()
  const checkpoints: CheckpointStore = {
    async save(detector, list) {
      saved.set(detector, list)
    },
    async load(detector) {
      return saved.get(detector) ?? []
    },
  }
  const findings: Finding[] = []
  const scorer = createRiskScorer(declarations.risk)
  const riskStates = new Map<string, RiskState>()
  const take = (batch: Finding[]) => {
    for (const finding of [...batch].sort((a, b) => a.ts - b.ts)) {
      findings.push(finding)
      if (!scorer.accepts(finding)) continue
      const key = scorer.keyOf(finding)
      let state = riskStates.get(key)
      if (state === undefined) {
        state = scorer.initialState()
        riskStates.set(key, state)
      }
      for (const risk of scorer.step(state, finding)) findings.push({ ...risk, detected_at: 0 })
    }
  }
  const runtime: DetectorRuntime = createDetectorRuntime({
    detectors: declarations.rules.map((rule) => rule.instantiate(declarations.intent)),
    ...runtimeOptions,
    checkpoints,
    publishFindings: async (batch) => take(batch),
    publishRekeyed: async (messages) => {
      await runtime.handleRekeyed(messages.map((message) => message.value as RekeyedEvent))
    },
  })
  async function replay(events: readonly { kind: EventKind; event: AnyEvent }[]): Promise<void> {
    for (let i = 0; i < events.length; ) {
      const slice = Math.floor(events[i]!.event.ts / 10_000)
      const byKind = new Map<EventKind, AnyEvent[]>()
      while (i < events.length && Math.floor(events[i]!.event.ts / 10_000) === slice) {
        const { kind, event } = events[i++]!
        const list = byKind.get(kind)
        if (list) list.push(event)
        else byKind.set(kind, [event])
      }
      for (const [kind, list] of byKind) await runtime.handle(kind, list)
    }
  }
  return { findings, runtime, take, replay }
}
