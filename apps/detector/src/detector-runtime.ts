import { SpanStatusCode, trace } from '@opentelemetry/api'
import type { CheckpointStore } from '@palisade/clickhouse'
import {
  checkSourceSilence,
  createHeartbeatSampler,
  type Detector,
  defaultSourceSilenceSettings,
  noteArrival,
  type RuleState,
  type SourceArrivals,
  type SourceGapParams,
  type SourceGapState,
  type SourceSilenceCheck,
  type SourceSilenceSettings,
} from '@palisade/detectors'
import { createSerialQueue } from '@palisade/runtime'
import type { AnyEvent, EventKind, Finding } from '@palisade/schema'
import { Counter, type Registry } from 'prom-client'
import { createKeyedStates } from './keyed-states.ts'
import { createRecentIds } from './recent-ids.ts'

/** An event re-published for re-keyed detectors: its kind and the detectors it is for. */
export interface RekeyedEvent {
  kind: EventKind
  event: AnyEvent
  detectors: string[]
}

/** What the runtime needs around the detectors. */
export interface DetectorRuntimeOptions {
  detectors: Detector[]
  checkpoints: CheckpointStore
  /** Hands findings on (the findings topic); resolves once they are taken. */
  publishFindings: (findings: Finding[]) => Promise<void>
  /**
   * Hands events on to the re-keyed detectors (the re-key topic, keyed by `key`); resolves once
   * taken. Required when a detector is `partitioning: 'rekeyed'`.
   */
  publishRekeyed?: (messages: { key: string; value: RekeyedEvent }[]) => Promise<void>
  /**
   * Wall clock, epoch ms: for `detected_at`, and for the arrival of sources that the silence check
   * judges (`sourceSilence`); never for the detectors' own logic.
   */
  now?: () => number
  /**
   * The wall-clock silence check of expected sources (default none): the `source_gap` rule whose
   * learned cadences say what is expected, and its parameters. Arrivals are noted as the re-keyed
   * stage feeds that rule (so they live with its state, per tenant) and checkpointed with it.
   */
  sourceSilence?: {
    gapRule: string
    gapParams: SourceGapParams
    settings?: SourceSilenceSettings
    /**
     * Whether this process owns every tenant's re-keyed partition (the all-in-one's in-process bus;
     * default false). With Kafka a restore loads every tenant's arrivals, also those another member
     * now feeds, whose copy here goes stale: only tenants this process has noted an arrival for
     * since its last restore are judged then.
     */
    ownsEveryKey?: boolean
  }
  /** Ids remembered per detector to drop re-delivered events (default 200,000). */
  recentIdCapacity?: number
  registry?: Registry
}

const tracer = trace.getTracer('palisade-detector')

/** `source_gap`'s own state inside what the runtime keeps: a rule wraps it with its noise control. */
function gapStateOf(kept: unknown): SourceGapState | undefined {
  if (kept === undefined || kept === null) return undefined
  const wrapped = kept as Partial<RuleState>
  return (wrapped.fired !== undefined && 'detector' in wrapped ? wrapped.detector : kept) as SourceGapState
}

/**
 * Feeds events to the detectors, keeping each detector's state per key, and publishes the findings.
 * Two stages, so that every detector's state is owned by whoever owns its key's partition:
 * `handle` runs the detectors keyed by the event's partition key and re-publishes, keyed by each
 * re-keyed detector's key, the events those accept (at most one a minute per sample key for
 * heartbeat detectors); `handleRekeyed` runs the re-keyed detectors on what comes back. State is
 * checkpointed on `checkpoint()` (on a timer, at shutdown, before a rebalance) and reloaded by
 * `restore()`, so a restart or a partition taken over keeps what was learned.
 */
export function createDetectorRuntime(options: DetectorRuntimeOptions) {
  const now = options.now ?? Date.now
  const byEvent = options.detectors.filter((d) => (d.partitioning ?? 'event') === 'event')
  const rekeyed = options.detectors.filter((d) => d.partitioning === 'rekeyed')
  const detectorById = new Map(options.detectors.map((d) => [d.id, d]))
  if (rekeyed.length > 0 && !options.publishRekeyed)
    throw new Error(
      `detectors ${rekeyed.map((d) => d.id).join(', ')} are re-keyed, but no re-key topic was given`,
    )
  /** detector id → its state per key. */
  const states = new Map(
    options.detectors.map((d) => [d.id, createKeyedStates<unknown>(d.id, options.checkpoints)]),
  )
  // Re-delivered events are dropped once per stage: by event for the first (every detector there
  // sees the same events), by detector for the re-keyed one (a message names its detectors).
  const recentEvents = createRecentIds(options.recentIdCapacity ?? 200_000)
  const recent = new Map(rekeyed.map((d) => [d.id, createRecentIds(options.recentIdCapacity ?? 200_000)]))
  const heartbeats = createHeartbeatSampler()
  const silence = options.sourceSilence
  const silenceSettings = silence?.settings ?? defaultSourceSilenceSettings
  /** Per tenant (the `source_gap` key): when each source last arrived by the wall clock. */
  const arrivals = createKeyedStates<SourceArrivals>('source_silence', options.checkpoints)
  /** When this process began watching (start, or a rebalance): silence is not counted before it. */
  let watchingSince = now()
  /** Tenants (keys) this process noted an arrival for since its last restore: those it feeds. */
  const fed = new Set<string>()
  const findingsCounter = new Counter({
    name: 'palisade_detector_findings_total',
    help: 'Findings produced, by rule and severity',
    labelNames: ['rule', 'severity'] as const,
    registers: options.registry ? [options.registry] : [],
  })
  const eventsCounter = new Counter({
    name: 'palisade_detector_events_total',
    help: 'Events read by the detectors, by kind',
    labelNames: ['kind'] as const,
    registers: options.registry ? [options.registry] : [],
  })
  const rekeyedCounter = new Counter({
    name: 'palisade_detector_rekeyed_events_total',
    help: 'Events re-published for re-keyed detectors, by kind',
    labelNames: ['kind'] as const,
    registers: options.registry ? [options.registry] : [],
  })

  /** Events for the re-keyed stage not yet taken by the bus (sent first with the next batch). */
  const unpublishedRekeyed: { key: string; value: RekeyedEvent }[] = []
  /** Findings produced but not yet taken by the bus (published first on the next batch or checkpoint). */
  const unpublished: Finding[] = []
  async function publishPending(): Promise<void> {
    if (unpublished.length === 0) return
    const batch = unpublished.slice()
    await options.publishFindings(batch)
    unpublished.splice(0, batch.length)
  }

  // Batches and reloads run one at a time: a reload must not land in the middle of a batch.
  const serially = createSerialQueue()

  function run(detector: Detector, event: AnyEvent, findings: Finding[], detectedAt: number): void {
    const state = states.get(detector.id)!.get(detector.keyOf(event), event.tenant, detector.initialState)
    for (const finding of detector.step(state, event)) {
      // When the triggering event reached Palisade: time to detect leaves out findings on late data
      // (a backfill or replay), whose age is not the detector's delay (sql/0017).
      const evidence =
        'arrived_at' in finding.evidence
          ? finding.evidence
          : { ...finding.evidence, arrived_at: event.observed_at }
      findings.push({ ...finding, evidence, detected_at: detectedAt })
      findingsCounter.inc({ rule: finding.rule, severity: finding.severity })
    }
  }

  /** The events the re-keyed detectors take from this batch, one message per (event, key). */
  function toRekey(kind: EventKind, events: AnyEvent[]): { key: string; value: RekeyedEvent }[] {
    const messages: { key: string; value: RekeyedEvent }[] = []
    const readers = rekeyed.filter((d) => d.kinds.includes(kind))
    if (readers.length === 0) return messages
    for (const event of events) {
      let byKey: Map<string, RekeyedEvent> | undefined
      for (const detector of readers) {
        if (detector.accepts && !detector.accepts(event)) continue
        if (!heartbeats.takes(detector, event)) continue
        byKey ??= new Map()
        const key = detector.keyOf(event)
        const message = byKey.get(key)
        if (message) message.detectors.push(detector.id)
        else byKey.set(key, { kind, event, detectors: [detector.id] })
      }
      if (byKey) for (const [key, value] of byKey) messages.push({ key, value })
    }
    return messages
  }

  async function finish(findings: Finding[]): Promise<Finding[]> {
    // State already moved past these events; a failed publish must not lose what they found.
    // Findings wait here until published (ids are content-derived: repeats drop).
    unpublished.push(...findings)
    await publishPending()
    return findings
  }

  function traced<T>(name: string, attributes: Record<string, string>, task: () => Promise<T>): Promise<T> {
    return tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await task()
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR })
        throw error
      } finally {
        span.end()
      }
    })
  }

  return {
    /**
     * Run a batch of events of one kind through the detectors keyed by the event's partition key,
     * and hand the re-keyed detectors their events; resolves after both are published.
     */
    async handle(kind: EventKind, events: AnyEvent[]): Promise<Finding[]> {
      const { findings, messages } = await serially(() =>
        traced('detector.handle', { 'palisade.kind': kind }, async () => {
          eventsCounter.inc({ kind }, events.length)
          const fresh = events.filter((event) =>
            recentEvents.add(`${kind}/${event.tenant}/${event.event_id}`),
          )
          const found: Finding[] = []
          const detectedAt = now()
          for (const detector of byEvent) {
            if (!detector.kinds.includes(kind)) continue
            for (const event of fresh) {
              if (detector.accepts && !detector.accepts(event)) continue
              run(detector, event, found, detectedAt)
            }
          }
          // Like findings, re-keyed events wait here until published: the events are marked seen.
          unpublishedRekeyed.push(...toRekey(kind, fresh))
          return { findings: await finish(found), messages: unpublishedRekeyed.splice(0) }
        }),
      )
      // Outside the serial section: an in-process bus runs the re-keyed stage (which queues on the
      // same section) before this publish resolves. The batch is committed only after it resolves.
      if (messages.length > 0) {
        try {
          await options.publishRekeyed!(messages)
        } catch (error) {
          unpublishedRekeyed.unshift(...messages)
          throw error
        }
        rekeyedCounter.inc({ kind }, messages.length)
      }
      return findings
    },

    /** Run re-published events through the re-keyed detectors they are for. */
    handleRekeyed(messages: RekeyedEvent[]): Promise<Finding[]> {
      return serially(() =>
        traced('detector.handle_rekeyed', {}, async () => {
          const findings: Finding[] = []
          const detectedAt = now()
          for (const message of messages) {
            for (const id of message.detectors) {
              const detector = detectorById.get(id)
              // A detector removed from the rules since the event was re-published: nothing to do.
              if (detector?.partitioning !== 'rekeyed') continue
              if (!recent.get(id)!.add(`${message.event.tenant}/${message.event.event_id}`)) continue
              run(detector, message.event, findings, detectedAt)
              if (id === silence?.gapRule) {
                const key = detector.keyOf(message.event)
                const tenant = message.event.tenant
                fed.add(key)
                noteArrival(
                  arrivals.get(key, tenant, () => ({ sources: {} })),
                  message.event,
                  detectedAt,
                  silenceSettings,
                )
              }
            }
          }
          return finish(findings)
        }),
      )
    },

    /**
     * After a rebalance: save what this process held, then reload every key's newest state, so
     * that keys taken over from another member come with theirs. Queued behind the batch in hand.
     */
    rebalanced(): Promise<void> {
      return serially(async () => {
        await this.checkpoint()
        await this.restore()
      })
    },

    /**
     * Load the last checkpoint of every key. Called at start, and after a rebalance (after a
     * `checkpoint()` of what this process held), so that keys taken over come with their state.
     */
    async restore(): Promise<void> {
      for (const keyed of states.values()) await keyed.restore()
      await arrivals.restore()
      watchingSince = now()
      fed.clear()
    },

    /**
     * The wall-clock silence check (see `checkSourceSilence`) of every tenant this process holds,
     * at `now()`: silences opened, still going on, and ended. Queued behind the batch in hand, so
     * that a batch being worked through is not taken for silence. Nothing without `sourceSilence`.
     */
    checkSilentSources(): Promise<SourceSilenceCheck & { tenants: number }> {
      return serially(async () => {
        const out = { opened: [], ongoing: [], ended: [], tenants: 0 } as SourceSilenceCheck & {
          tenants: number
        }
        if (!silence) return out
        const gap = states.get(silence.gapRule)
        const at = now()
        for (const { key, tenant } of arrivals.keys()) {
          if (!silence.ownsEveryKey && !fed.has(key)) continue
          const held = arrivals.peek(key)
          if (held === undefined) continue
          const found = checkSourceSilence({
            tenant,
            arrivals: held,
            gap: gapStateOf(gap?.peek(key)),
            gapParams: silence.gapParams,
            settings: silenceSettings,
            now: at,
            watchingSince,
          })
          // Saved at the next checkpoint only when a silence opened or ended.
          if (found.opened.length > 0 || found.ended.length > 0) arrivals.get(key, tenant, () => held)
          out.tenants++
          out.opened.push(...found.opened)
          out.ongoing.push(...found.ongoing)
          out.ended.push(...found.ended)
        }
        return out
      })
    },

    /** Save the state of every key that changed since the last checkpoint, one insert per detector. */
    async checkpoint(): Promise<void> {
      // A saved state must never hide a finding not yet sent.
      await publishPending()
      for (const keyed of states.values()) await keyed.checkpoint()
      await arrivals.checkpoint()
    },
  }
}

export type DetectorRuntime = ReturnType<typeof createDetectorRuntime>
