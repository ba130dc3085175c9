import { type AnyEvent, deriveEventId } from '@palisade/schema'
import type { z } from 'zod'
import type { DetectedFinding } from '../detector.ts'
import { formatSpan } from '../rules/duration.ts'
import { enforcementPointOf, gapThreshold, type SourceGapState, type sourceGapType } from './source-gap.ts'

/** The rule id of a silent-source page (not declared in a rule file: the detector app's clock runs it). */
export const SOURCE_SILENT_RULE = 'telemetry.source_silent'

/** The `source_gap` rule's parameters, whose cadences and multiples the silence check reuses. */
export type SourceGapParams = z.output<typeof sourceGapType.params>

/** When each source (and enforcement point) of a tenant last arrived, by the wall clock. */
export interface SourceArrivals {
  /** `s:<source>` or `ep:<source>|<enforcement point>`, the ids of `source_gap`'s cadences. */
  sources: Record<string, SourceArrival>
}

/** One source's last live arrival. */
export interface SourceArrival {
  source: string
  ep?: string
  /** Wall-clock time its newest live event arrived, epoch ms. */
  arrivedAt: number
  /** That event's own time, epoch ms. */
  eventTs: number
  /** The silence being paged: since (the last arrival), the threshold it crossed, its finding, when paged. */
  silent?: { since: number; threshold: number; findingId: string; pagedAt: number }
}

/** Settings of the silence check; defaults in {@link defaultSourceSilenceSettings}. */
export interface SourceSilenceSettings {
  /**
   * Shortest silence ever paged, ms (default 5 min). Arrival is observed through a shipper's flush
   * interval, the bus and a heartbeat sampled once a minute of event time, so a minute or two
   * without news is jitter, not an outage; below a few minutes the page would be noise.
   */
  minSilenceMs: number
  /**
   * An event counts as live only when its own time is within this of the wall clock at arrival,
   * ms (default 15 min). A replay or backfill of old data (event time far in the past) is not a
   * source reporting now: it neither arms nor clears a silence, so a replay that ends is no outage.
   */
  liveLagMs: number
}

/** Default settings: page after at least 5 minutes; events more than 15 minutes off are not live. */
export const defaultSourceSilenceSettings: SourceSilenceSettings = {
  minSilenceMs: 5 * 60_000,
  liveLagMs: 15 * 60_000,
}

/** The cadence ids an event reports for: its source, and for decisions its enforcement point. */
function idsOf(event: AnyEvent): { id: string; source: string; ep?: string }[] {
  const ids: { id: string; source: string; ep?: string }[] = [
    { id: `s:${event.source}`, source: event.source },
  ]
  if ('decision' in event) {
    const ep = enforcementPointOf(event)
    if (ep !== undefined) ids.push({ id: `ep:${event.source}|${ep}`, source: event.source, ep })
  }
  return ids
}

/**
 * Record that `event` arrived at `arrivedAt` (the wall clock). Events whose own time is more than
 * `liveLagMs` away from it (a replay, a backfill, a clock far off) are ignored: silence is judged
 * on live arrivals only. Mutates `arrivals`.
 */
export function noteArrival(
  arrivals: SourceArrivals,
  event: AnyEvent,
  arrivedAt: number,
  settings: SourceSilenceSettings = defaultSourceSilenceSettings,
): void {
  if (Math.abs(arrivedAt - event.ts) > settings.liveLagMs) return
  for (const { id, source, ep } of idsOf(event)) {
    const seen = arrivals.sources[id]
    if (seen === undefined) {
      arrivals.sources[id] = { source, ...(ep !== undefined ? { ep } : {}), arrivedAt, eventTs: event.ts }
    } else if (arrivedAt >= seen.arrivedAt) {
      seen.arrivedAt = arrivedAt
      seen.eventTs = Math.max(seen.eventTs, event.ts)
    }
  }
}

/** What one check found for one tenant. */
export interface SourceSilenceCheck {
  /** Silences that began: each a page finding, sent once. */
  opened: DetectedFinding[]
  /** Every silence still going on (those opened included), re-sent so the router keeps them firing. */
  ongoing: DetectedFinding[]
  /** Silences that ended (the source is back, or it was forgotten): the finding each one opened. */
  ended: DetectedFinding[]
}

function iso(ts: number): string {
  return new Date(ts).toISOString()
}

function describe(arrival: SourceArrival): string {
  return arrival.ep === undefined
    ? `source ${arrival.source}`
    : `enforcement point ${arrival.ep} (source ${arrival.source})`
}

/**
 * Compare each expected source's last live arrival with the wall clock `now`. A source is expected
 * once `source_gap` learned its cadence (`min_samples` gaps): it pages when silent for longer than
 * `source_gap`'s threshold at that hour of day (`multiple` × its usual gap, `peak_multiple` × its
 * longest recent gap, `unlearned_min_gap` for an hour not learned yet) with `min_gap` lowered to
 * `minSilenceMs`. Unlike `source_gap`, which needs other sources' events to move event time on,
 * this needs none: when every source stops, each pages (one incident per tenant, grouped by the
 * router). An enforcement point pages only while its own source still reports (else the source's
 * page covers it). Silence counts from `watchingSince` at the earliest (when this process began
 * watching: a restart is not an outage). Pure; mutates `arrivals` (a silence opened or ended).
 */
export function checkSourceSilence(input: {
  tenant: string
  arrivals: SourceArrivals
  /** `source_gap`'s state for the tenant: the cadences (none yet: nothing is expected). */
  gap: SourceGapState | undefined
  gapParams: SourceGapParams
  settings?: SourceSilenceSettings
  now: number
  watchingSince: number
}): SourceSilenceCheck {
  const { tenant, arrivals, gap, gapParams, now } = input
  const settings = input.settings ?? defaultSourceSilenceSettings
  const check: SourceSilenceCheck = { opened: [], ongoing: [], ended: [] }
  const params = { ...gapParams, min_gap: settings.minSilenceMs }
  // Sources before their enforcement points, so that a silent source covers its points.
  const ids = Object.keys(arrivals.sources).sort(
    (a, b) => Number(a.startsWith('ep:')) - Number(b.startsWith('ep:')),
  )
  const silentSources = new Set<string>()
  for (const id of ids) {
    const arrival = arrivals.sources[id]!
    const cadence = gap?.sources[id]
    const silentFor = now - Math.max(arrival.arrivedAt, input.watchingSince)
    if (arrival.silent) {
      const { since, threshold, findingId, pagedAt } = arrival.silent
      const forgotten = cadence === undefined || now - arrival.arrivedAt > gapParams.forget_after
      if (arrival.arrivedAt > since || forgotten) {
        delete arrival.silent
        check.ended.push(
          finding(tenant, arrival, {
            since,
            threshold,
            findingId,
            pagedAt,
            now,
            usual: cadence?.mean ?? 0,
            samples: 0,
          }),
        )
        if (forgotten) delete arrivals.sources[id]
        continue
      }
      if (arrival.ep === undefined) silentSources.add(arrival.source)
      check.ongoing.push(
        finding(tenant, arrival, {
          since,
          threshold,
          findingId,
          pagedAt,
          now,
          usual: cadence?.mean ?? 0,
          samples: cadence?.n ?? 0,
        }),
      )
      continue
    }
    if (now - arrival.arrivedAt > gapParams.forget_after) {
      delete arrivals.sources[id]
      continue
    }
    if (cadence === undefined || cadence.n < gapParams.min_samples) continue
    const { threshold, usual } = gapThreshold(cadence, arrival.arrivedAt, params)
    if (silentFor <= threshold) continue
    if (arrival.ep !== undefined && silentSources.has(arrival.source)) continue
    if (arrival.ep === undefined) silentSources.add(arrival.source)
    const since = arrival.arrivedAt
    const findingId = deriveEventId(SOURCE_SILENT_RULE, { tenant, id, since })
    arrival.silent = { since, threshold, findingId, pagedAt: now }
    const opened = finding(tenant, arrival, {
      since,
      threshold,
      findingId,
      pagedAt: now,
      now,
      usual,
      samples: cadence.n,
    })
    check.opened.push(opened)
    check.ongoing.push(opened)
  }
  return check
}

function finding(
  tenant: string,
  arrival: SourceArrival,
  facts: {
    since: number
    threshold: number
    findingId: string
    pagedAt: number
    now: number
    usual: number
    samples: number
  },
): DetectedFinding {
  const { since, threshold, now } = facts
  const silentFor = Math.max(0, now - since)
  const back = arrival.arrivedAt > since
  return {
    finding_id: facts.findingId,
    tenant,
    // No event triggers a silence: its time is the wall clock's when it was paged (a live source's
    // event time), the same on every re-send, so the router sees one alert starting once.
    ts: facts.pagedAt,
    rule: SOURCE_SILENT_RULE,
    severity: 'page',
    title: `Telemetry source silent: ${describe(arrival)}`,
    summary: back
      ? `${describe(arrival)} is reporting again since ${iso(arrival.arrivedAt)} after ${formatSpan(arrival.arrivedAt - since)} of silence.`
      : `${describe(arrival)} has sent nothing since ${iso(since)} (wall clock): ${formatSpan(silentFor)} so far, ` +
        `past its threshold of ${formatSpan(threshold)} (the larger of its usual gap of ${formatSpan(facts.usual)} ` +
        'times its multiple, its longest recent gap, and a few minutes). Nothing of it reaches detection or SLOs ' +
        'until it resumes; check the shipper, the collector and the source itself. This resolves when it reports again.',
    entities: {
      source: arrival.source,
      ...(arrival.ep !== undefined ? { enforcement_point: arrival.ep } : {}),
    },
    evidence: {
      last_arrival: since,
      last_event_ts: arrival.eventTs,
      silent_ms: silentFor,
      threshold_ms: threshold,
      usual_gap_ms: Math.round(facts.usual),
      samples: facts.samples,
      judged_on: 'wall-clock arrival',
      // As a rule's findings carry theirs, so the page links to what to do (and ATT&CK's "impair
      // defenses", which a source switched off can be).
      runbook_url: 'https://runbooks.palisade.example/telemetry/source-silent',
      mitre: ['T1562'],
    },
  }
}
