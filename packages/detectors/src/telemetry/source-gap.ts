import type { AnyEvent, DecisionEvent } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, evidenceIds } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'

/** How one source (or one enforcement point of a source) usually reports. */
export interface Cadence {
  source: string
  /** Enforcement point, for the per-enforcement-point cadence of decision sources. */
  ep?: string
  firstSeen: number
  last: number
  lastId: string
  /** Inter-arrival gaps learned. */
  n: number
  /** Mean gap (EWMA), ms, and the longest recent gap (slowly decaying), ms: all hours. */
  mean: number
  peak: number
  /** The same by UTC hour of day of the gap's start: samples, mean, peak. */
  hn: number[]
  hm: number[]
  hp: number[]
  /** The silence being reported: since (the last event), the threshold it crossed, when reported. */
  gap?: { since: number; threshold: number; reportedAt: number }
  /** When it last came back from a silence longer than `min_gap`, epoch ms. */
  activeSince: number
  /** The last reported silence that ended, for the record. */
  resumed?: { from: number; to: number }
}

/** What the detector remembers per tenant (its key). */
export interface SourceGapState {
  /** `s:<source>` or `ep:<source>|<enforcement point>` → cadence. */
  sources: Record<string, Cadence>
  count: number
  /** Newest event time seen in the tenant, epoch ms. */
  now: number
  /** When the tenant last came back from a silence of all its sources longer than `min_gap`, epoch ms. */
  activeSince: number
  nextSweep: number
}

const maxSources = 4096
const sweepEveryMs = 60_000
const hourMs = 3_600_000
/** Weight of a new gap in the means, and per-sample decay of the peaks. */
const alpha = 0.05
const hourAlpha = 0.1
const peakDecay = 0.995
/** Gaps in an hour of day before that hour's cadence is trusted. */
const hourSamples = 5

// A pod name's ReplicaSet and pod suffixes (`checkout-7d9f8b6c5-x2x7k`): one enforcement point, many pods.
const podSuffix = /-[a-z0-9]{6,10}-[a-z0-9]{5}$/
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The enforcement point a decision's cadence is kept for: pods of one workload share one, and a
 * per-instance UUID (OPA's default `labels.id`) is none, since it changes on every restart.
 */
export function enforcementPointOf(decision: DecisionEvent): string | undefined {
  const name = decision.enforcement_point
  if (name === undefined || uuid.test(name)) return undefined
  return podSuffix.test(name) ? name.replace(podSuffix, '-*') : name
}

function hourOf(ts: number): number {
  return Math.floor(ts / hourMs) % 24
}

function iso(ts: number): string {
  return new Date(ts).toISOString()
}

function describe(cadence: Cadence): string {
  return cadence.ep === undefined
    ? `source ${cadence.source}`
    : `enforcement point ${cadence.ep} (source ${cadence.source})`
}

function learn(cadence: Cadence, gap: number, hour: number): void {
  cadence.n++
  const a = Math.max(alpha, 1 / cadence.n)
  cadence.mean += a * (gap - cadence.mean)
  cadence.peak = Math.max(gap, cadence.peak * peakDecay)
  const n = ++cadence.hn[hour]!
  const b = Math.max(hourAlpha, 1 / n)
  cadence.hm[hour]! += b * (gap - cadence.hm[hour]!)
  cadence.hp[hour] = Math.max(gap, cadence.hp[hour]! * peakDecay)
}

const params = z.strictObject({
  /** Shortest silence ever reported. */
  min_gap: duration.default(15 * 60 * 1000),
  /** A silence counts once longer than this many times the source's usual gap at that hour. */
  multiple: z.number().min(1).default(8),
  /** ... and longer than this many times its longest recent gap at that hour (night lulls). */
  peak_multiple: z.number().min(1).default(1.5),
  /** For an hour of day not learned yet, the silence must also exceed this. */
  unlearned_min_gap: duration.default(60 * 60 * 1000),
  /** Gaps learned before a source is judged at all. */
  min_samples: z.number().int().min(1).default(30),
  /** A source silent this long is forgotten (decommissioned). */
  forget_after: duration.default(7 * 24 * 60 * 60 * 1000),
})
type Params = z.output<typeof params>

/** The silence after which a source counts as gone quiet, for a gap starting at `since`. */
export function gapThreshold(
  cadence: Cadence,
  since: number,
  p: Params,
): { threshold: number; usual: number; basis: string } {
  const hour = hourOf(since)
  const next = (hour + 1) % 24
  const hours = [hour, next].filter((h) => cadence.hn[h]! >= hourSamples)
  if (hours.length > 0) {
    const usual = Math.max(...hours.map((h) => cadence.hm[h]!))
    const peak = Math.max(...hours.map((h) => cadence.hp[h]!))
    const threshold = Math.max(p.min_gap, p.multiple * usual, p.peak_multiple * peak)
    return { threshold, usual, basis: `its usual gap around ${String(hour).padStart(2, '0')}:00 UTC` }
  }
  const threshold = Math.max(
    p.min_gap,
    p.unlearned_min_gap,
    p.multiple * cadence.mean,
    p.peak_multiple * cadence.peak,
  )
  return { threshold, usual: cadence.mean, basis: 'its usual gap (this hour of day not learned yet)' }
}

/**
 * `source_gap`: a telemetry source (the events' `source`; for decisions also each enforcement
 * point of a source) silent for longer than `multiple` × its learned cadence at that hour of day
 * (and `peak_multiple` × its longest recent gap then, and at least `min_gap`), while the tenant's
 * other sources keep reporting, or for an enforcement point, while its own source keeps
 * reporting (so an outage of the whole source is one finding, not one per enforcement point).
 * Learned per UTC hour of day, so night lulls do not fire; an hour not learned yet also needs
 * `unlearned_min_gap`. Fires when event time (from the other sources) passes the threshold, once
 * per silence; the detector re-arms when the source resumes (the resumption is kept in state
 * and quoted as the previous silence in the next finding). Re-keyed by tenant; every event is
 * accepted, and the runtime's per-(source, minute) throttle keeps the bus light: one event per
 * source per active minute is enough.
 */
export const sourceGapType = defineDetectorType({
  name: 'source_gap',
  description: 'A telemetry source or enforcement point silent for much longer than its usual cadence',
  params,
  create(context): Detector<SourceGapState> {
    const p = context.params

    function touch(
      state: SourceGapState,
      id: string,
      source: string,
      ep: string | undefined,
      event: AnyEvent,
    ): void {
      const ts = event.ts
      let cadence = state.sources[id]
      if (cadence === undefined) {
        if (state.count >= maxSources) return
        cadence = {
          source,
          ...(ep !== undefined ? { ep } : {}),
          firstSeen: ts,
          last: ts,
          activeSince: ts,
          lastId: event.event_id,
          n: 0,
          mean: 0,
          peak: 0,
          hn: new Array(24).fill(0),
          hm: new Array(24).fill(0),
          hp: new Array(24).fill(0),
        }
        state.sources[id] = cadence
        state.count++
        return
      }
      if (ts <= cadence.last) {
        if (ts < cadence.firstSeen) cadence.firstSeen = ts
        return
      }
      if (ts - cadence.last > p.min_gap) cadence.activeSince = ts
      if (cadence.gap) {
        // Back after a reported silence: re-arm, and do not learn the outage as a usual gap.
        cadence.resumed = { from: cadence.gap.since, to: ts }
        delete cadence.gap
      } else learn(cadence, ts - cadence.last, hourOf(cadence.last))
      cadence.last = ts
      cadence.lastId = event.event_id
    }

    function sweep(state: SourceGapState, tenant: string): DetectedFinding[] {
      const findings: DetectedFinding[] = []
      const now = state.now
      // The two latest sources, so that each source is compared with the latest of the others.
      let latest = ''
      let latestAt = Number.NEGATIVE_INFINITY
      let secondAt = Number.NEGATIVE_INFINITY
      let active = 0
      for (const [id, cadence] of Object.entries(state.sources)) {
        if (now - cadence.last > p.forget_after) {
          delete state.sources[id]
          state.count--
          continue
        }
        if (cadence.ep !== undefined) continue
        if (now - cadence.last <= p.min_gap) active++
        if (cadence.last > latestAt) {
          secondAt = latestAt
          latestAt = cadence.last
          latest = id
        } else if (cadence.last > secondAt) secondAt = cadence.last
      }
      for (const [id, cadence] of Object.entries(state.sources)) {
        if (cadence.gap || cadence.n < p.min_samples) continue
        const silent = now - cadence.last
        if (silent <= p.min_gap) continue
        const { threshold, usual, basis } = gapThreshold(cadence, cadence.last, p)
        if (silent <= threshold) continue
        // The others must have kept reporting through the threshold: the tenant's other sources,
        // or for an enforcement point its own source (else the whole source is silent: its own
        // finding). Silence counts from when they came back, if they had all been quiet too.
        const parent = cadence.ep === undefined ? undefined : state.sources[`s:${cadence.source}`]
        const othersAt =
          cadence.ep === undefined ? (id === latest ? secondAt : latestAt) : (parent?.last ?? 0)
        const othersSince = Math.max(state.activeSince, parent?.activeSince ?? 0)
        if (othersAt <= cadence.last + threshold || now - Math.max(cadence.last, othersSince) <= threshold)
          continue
        cadence.gap = { since: cadence.last, threshold, reportedAt: now }
        // The silent source is not among the active ones (silent > min_gap).
        const others = active
        const keepsReporting =
          cadence.ep === undefined
            ? `while ${others} other source${others === 1 ? '' : 's'} of tenant ${tenant} kept reporting (latest at ${iso(othersAt)})`
            : `while source ${cadence.source} kept reporting from other enforcement points (latest at ${iso(othersAt)})`
        const previous = cadence.resumed
          ? ` Its previous silence was ${formatSpan(cadence.resumed.to - cadence.resumed.from)} (${iso(cadence.resumed.from)} to ${iso(cadence.resumed.to)}).`
          : ''
        findings.push(
          buildFinding(context, {
            tenant,
            ts: now,
            identity: { id, since: cadence.last },
            title: `Telemetry gap: ${describe(cadence)} silent`,
            summary:
              `${describe(cadence)} has sent nothing since ${iso(cadence.last)}: ${formatSpan(silent)} so far, ` +
              `${keepsReporting}. Threshold ${formatSpan(threshold)} (the larger of ${formatSpan(p.min_gap)}, ` +
              `${p.multiple}× ${basis} of ${formatSpan(usual)}, and ${p.peak_multiple}× its longest recent gap). ` +
              'A silent source is a blind spot: its events are missing from detection and SLOs until it resumes; ' +
              `this re-arms when it does.${previous}`,
            entities: {
              source: cadence.source,
              ...(cadence.ep !== undefined ? { enforcement_point: cadence.ep } : {}),
            },
            evidence: {
              event_ids: evidenceIds([cadence.lastId]),
              last_seen: cadence.last,
              silent_ms: silent,
              threshold_ms: threshold,
              usual_gap_ms: Math.round(usual),
              samples: cadence.n,
              first_seen: cadence.firstSeen,
              others_latest: othersAt,
              ...(cadence.resumed ? { previous_gap: cadence.resumed } : {}),
            },
          }),
        )
      }
      return findings
    }

    return {
      id: context.id,
      kinds: ['flow', 'auth', 'mtls', 'decision', 'policy_change', 'token', 'posture'],
      partitioning: 'rekeyed',
      // A heartbeat is all it needs: one event per source (and enforcement point) per minute
      // crosses the re-key topic, not the whole stream.
      sampleKeyOf: (event) =>
        `${event.tenant}|${event.source}|${'decision' in event ? (enforcementPointOf(event) ?? '') : ''}`,
      keyOf: (event) => event.tenant,
      initialState: () => ({ sources: {}, count: 0, now: 0, activeSince: 0, nextSweep: 0 }),
      step(state, event): DetectedFinding[] {
        if (state.now > 0 && event.ts - state.now > p.min_gap) state.activeSince = event.ts
        touch(state, `s:${event.source}`, event.source, undefined, event)
        if ('decision' in event) {
          const ep = enforcementPointOf(event)
          if (ep !== undefined) touch(state, `ep:${event.source}|${ep}`, event.source, ep, event)
        }
        if (event.ts > state.now) state.now = event.ts
        if (state.now < state.nextSweep) return []
        state.nextSweep = state.now + sweepEveryMs
        return sweep(state, event.tenant)
      },
    }
  },
})
