import { alertFromFinding } from '@palisade/alerting'
import type { Alert, Finding } from '@palisade/schema'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { DetectorRuntime } from './detector-runtime.ts'

/** What {@link startSourceSilenceSchedule} needs. */
export interface SourceSilenceScheduleOptions {
  runtime: Pick<DetectorRuntime, 'checkSilentSources'>
  /** The findings topic: a silence's page finding, once, when it opens. */
  publishFindings: (findings: Finding[]) => Promise<void>
  /** The alerts topic: every ongoing silence re-sent as firing, and each one that ended as resolved. */
  publishAlerts: (alerts: Alert[]) => Promise<void>
  /** Period of the check, ms (default 30,000). */
  everyMs?: number
  /** Wall clock, epoch ms (default `Date.now`). */
  now?: () => number
  registry?: Registry
  onError: (error: unknown) => void
}

/**
 * The clock half of the silence check: every `everyMs` of the wall clock, ask the runtime which
 * expected sources went silent, came back or are still silent, and tell the router. Driven by the
 * timer rather than by events because when every source stops no event arrives to move anything.
 * A silence is one alert per source (labels as `alertFromFinding` makes them from its finding), so
 * the router deduplicates it per source, keeps it firing (re-sent each check, like the SLO
 * evaluator's alerts, so it never goes stale) and resolves it when the source reports again. A
 * check is skipped while the previous one runs. Returns `stop`, which waits for the check in flight.
 */
export function startSourceSilenceSchedule(options: SourceSilenceScheduleOptions): () => Promise<void> {
  const now = options.now ?? Date.now
  const registers = options.registry ? [options.registry] : []
  let silent = 0
  new Gauge({
    name: 'palisade_detector_sources_silent',
    help: 'Expected sources and enforcement points silent past their threshold by the wall clock (paged)',
    registers,
    collect() {
      this.set(silent)
    },
  })
  const silences = new Counter({
    name: 'palisade_detector_source_silences_total',
    help: 'Silences of expected sources, by outcome (opened: paged; ended: the source reports again)',
    labelNames: ['outcome'] as const,
    registers,
  })
  let inFlight: Promise<void> | undefined
  async function check(): Promise<void> {
    const found = await options.runtime.checkSilentSources()
    const at = now()
    silent = found.ongoing.length
    silences.inc({ outcome: 'opened' }, found.opened.length)
    silences.inc({ outcome: 'ended' }, found.ended.length)
    if (found.opened.length > 0)
      await options.publishFindings(found.opened.map((finding) => ({ ...finding, detected_at: at })))
    const alerts: Alert[] = [
      ...found.ongoing.map((finding) => alertFromFinding({ ...finding, detected_at: at })),
      ...found.ended.map(
        (finding): Alert => ({
          ...alertFromFinding({ ...finding, detected_at: at }),
          status: 'resolved',
          ends_at: at,
        }),
      ),
    ]
    if (alerts.length > 0) await options.publishAlerts(alerts)
  }
  const timer = setInterval(() => {
    if (inFlight) return
    inFlight = check()
      .catch(options.onError)
      .finally(() => {
        inFlight = undefined
      })
  }, options.everyMs ?? 30_000)
  timer.unref()
  return async () => {
    clearInterval(timer)
    await inFlight
  }
}
