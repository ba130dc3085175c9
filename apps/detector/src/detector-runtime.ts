import { SpanStatusCode, trace } from '@opentelemetry/api'
import type { CheckpointStore } from '@palisade/clickhouse'
import type { Detector } from '@palisade/detectors'
import type { AnyEvent, EventKind, Finding } from '@palisade/schema'
import { Counter, type Registry } from 'prom-client'
import { createRecentIds } from './recent-ids.ts'

/** What the runtime needs around the detectors. */
export interface DetectorRuntimeOptions {
  detectors: Detector[]
  checkpoints: CheckpointStore
  /** Hands findings on (the findings topic); resolves once they are taken. */
  publishFindings: (findings: Finding[]) => Promise<void>
  /** Wall clock, epoch ms: only for `detected_at`, never for detection logic. */
  now?: () => number
  /** Ids remembered per detector to drop re-delivered events (default 200,000). */
  recentIdCapacity?: number
  registry?: Registry
}

const tracer = trace.getTracer('palisade-detector')

/**
 * Feeds events to every detector that reads their kind, keeping each detector's state per key (the
 * events' partition key, so a consumer owns the state of the partitions it holds), and publishes
 * the findings. State is checkpointed to the store on `checkpoint()` (call it on a timer, at
 * shutdown and before a rebalance) and reloaded by `restore()`, so a restart or a partition taken
 * over keeps what was learned.
 */
export function createDetectorRuntime(options: DetectorRuntimeOptions) {
  const now = options.now ?? Date.now
  /** detector id → state key → { tenant, state }. */
  const states = new Map<string, Map<string, { tenant: string; state: unknown }>>(
    options.detectors.map((d) => [d.id, new Map()]),
  )
  /** detector id → keys changed since the last checkpoint. */
  const dirty = new Map<string, Set<string>>(options.detectors.map((d) => [d.id, new Set()]))
  const recent = new Map(
    options.detectors.map((d) => [d.id, createRecentIds(options.recentIdCapacity ?? 200_000)]),
  )
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

  /** Findings produced but not yet taken by the bus (published first on the next batch or checkpoint). */
  const unpublished: Finding[] = []
  async function publishPending(): Promise<void> {
    if (unpublished.length === 0) return
    const batch = unpublished.slice()
    await options.publishFindings(batch)
    unpublished.splice(0, batch.length)
  }

  // Batches and reloads run one at a time: a reload must not land in the middle of a batch.
  let chain: Promise<unknown> = Promise.resolve()
  function serially<T>(task: () => Promise<T>): Promise<T> {
    const run = chain.then(task, task)
    chain = run.catch(() => undefined)
    return run
  }

  function stateOf(detector: Detector, event: AnyEvent): unknown {
    const byKey = states.get(detector.id)!
    const key = detector.keyOf(event)
    let entry = byKey.get(key)
    if (entry === undefined) {
      entry = { tenant: event.tenant, state: detector.initialState() }
      byKey.set(key, entry)
    }
    dirty.get(detector.id)!.add(key)
    return entry.state
  }

  return {
    /** Run a batch of events of one kind through the detectors; resolves after findings are published. */
    handle(kind: EventKind, events: AnyEvent[]): Promise<Finding[]> {
      return serially(() =>
        tracer.startActiveSpan('detector.handle', { attributes: { 'palisade.kind': kind } }, async (span) => {
          try {
            eventsCounter.inc({ kind }, events.length)
            const findings: Finding[] = []
            const detectedAt = now()
            for (const detector of options.detectors) {
              if (!detector.kinds.includes(kind)) continue
              const seen = recent.get(detector.id)!
              for (const event of events) {
                if (!seen.add(`${event.tenant}/${event.event_id}`)) continue
                for (const finding of detector.step(stateOf(detector, event), event)) {
                  findings.push({ ...finding, detected_at: detectedAt })
                  findingsCounter.inc({ rule: finding.rule, severity: finding.severity })
                }
              }
            }
            // State already moved past these events; a failed publish must not lose what they
            // found. Findings wait here until published (ids are content-derived: repeats drop).
            unpublished.push(...findings)
            await publishPending()
            return findings
          } catch (error) {
            span.setStatus({ code: SpanStatusCode.ERROR })
            throw error
          } finally {
            span.end()
          }
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
      for (const detector of options.detectors) {
        const saved = await options.checkpoints.load(detector.id)
        states.set(detector.id, new Map(saved.map(({ tenant, key, state }) => [key, { tenant, state }])))
        dirty.get(detector.id)!.clear()
      }
    },

    /** Save the state of every key that changed since the last checkpoint, one insert per detector. */
    async checkpoint(): Promise<void> {
      // A saved state must never hide a finding not yet sent.
      await publishPending()
      for (const detector of options.detectors) {
        const keys = dirty.get(detector.id)!
        if (keys.size === 0) continue
        const byKey = states.get(detector.id)!
        const pending = [...keys]
        keys.clear()
        try {
          await options.checkpoints.save(
            detector.id,
            pending.map((key) => ({ key, tenant: byKey.get(key)!.tenant, state: byKey.get(key)!.state })),
          )
        } catch (error) {
          for (const key of pending) keys.add(key)
          throw error
        }
      }
    },
  }
}

export type DetectorRuntime = ReturnType<typeof createDetectorRuntime>
