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
 * Feeds events to every detector that reads their kind, keeping each detector's state per tenant,
 * and publishes the findings. State is checkpointed to the store on `checkpoint()` (call it on a
 * timer and at shutdown) and reloaded by `restore()`, so a restart keeps what was learned.
 */
export function createDetectorRuntime(options: DetectorRuntimeOptions) {
  const now = options.now ?? Date.now
  const states = new Map<string, Map<string, unknown>>(options.detectors.map((d) => [d.id, new Map()]))
  const dirty = new Set<string>()
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

  function stateOf(detector: Detector, tenant: string): unknown {
    const byTenant = states.get(detector.id)!
    let state = byTenant.get(tenant)
    if (state === undefined) {
      state = detector.initialState()
      byTenant.set(tenant, state)
    }
    return state
  }

  return {
    /** Run a batch of events of one kind through the detectors; resolves after findings are published. */
    async handle(kind: EventKind, events: AnyEvent[]): Promise<Finding[]> {
      return tracer.startActiveSpan(
        'detector.handle',
        { attributes: { 'palisade.kind': kind } },
        async (span) => {
          try {
            eventsCounter.inc({ kind }, events.length)
            const findings: Finding[] = []
            const detectedAt = now()
            for (const detector of options.detectors) {
              if (!detector.kinds.includes(kind)) continue
              const seen = recent.get(detector.id)!
              for (const event of events) {
                if (!seen.add(`${event.tenant}/${event.event_id}`)) continue
                const produced = detector.step(stateOf(detector, event.tenant), event)
                dirty.add(`${detector.id}\n${event.tenant}`)
                for (const finding of produced) {
                  findings.push({ ...finding, detected_at: detectedAt })
                  findingsCounter.inc({ rule: finding.rule, severity: finding.severity })
                }
              }
            }
            if (findings.length > 0) await options.publishFindings(findings)
            return findings
          } catch (error) {
            span.setStatus({ code: SpanStatusCode.ERROR })
            throw error
          } finally {
            span.end()
          }
        },
      )
    },

    /** Load the last checkpoint of every detector. */
    async restore(): Promise<void> {
      for (const detector of options.detectors) {
        const saved = await options.checkpoints.load(detector.id)
        states.set(detector.id, new Map(saved))
      }
    },

    /** Save the state of every (detector, tenant) that changed since the last checkpoint. */
    async checkpoint(): Promise<void> {
      const pending = [...dirty]
      dirty.clear()
      for (const entry of pending) {
        const [detectorId, tenant] = entry.split('\n') as [string, string]
        try {
          await options.checkpoints.save(detectorId, tenant, states.get(detectorId)!.get(tenant))
        } catch (error) {
          dirty.add(entry)
          throw error
        }
      }
    },
  }
}

export type DetectorRuntime = ReturnType<typeof createDetectorRuntime>
