import { type AnyEvent, type FlowEvent, partitionKey } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, evidenceIds, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import {
  destinationOf,
  type Endpoint,
  formatTarget,
  formatTime,
  isReply,
  pivotEntities,
  plural,
  serverPortOf,
  sourceOf,
} from './endpoint.ts'

const params = z.strictObject({
  /** Sliding window the distinct targets are counted over (default 5m). */
  window: duration.default(5 * 60_000),
  /** Distinct destinations (workloads or IPs), or distinct ports, in one window that make a fan-out (default 20). */
  min_distinct: z.number().int().min(2).default(20),
  /**
   * Distinct targets (destination:port pairs) in one window that make a fan-out (default 25): a
   * scan of a few ports across a few hosts reaches neither `min_distinct` alone.
   */
  min_targets: z.number().int().min(2).default(25),
  /** Share of the window's targets that must have failed (dropped, denied, error), more than this (default 0.5: a majority). */
  failed_share_above: z.number().min(0).max(1).default(0.5),
  /** Count destinations on the internet too (default false: fan-out inside the perimeter). */
  include_external: z.boolean().default(false),
  /** Most targets (destination:port) tracked per source and window (default 5,000); past it they are counted, not kept. */
  max_targets: z.number().int().min(10).max(100_000).default(5000),
})

type Params = z.output<typeof params>

/** A target's record: first seen, last seen, last success (-1: none), attempts, failed attempts; event times, ms. */
type Target = [first: number, last: number, lastSuccess: number, attempts: number, failed: number]

/** What `fan_out_scan` remembers per source workload. */
export interface FanOutScanState {
  /** Latest event time seen, ms (-1: none yet). */
  watermark: number
  /** Watermark at the last sweep of expired entries. */
  sweptAt: number
  /** `destination key|port` → its record, for targets seen within the window. */
  targets: Record<string, Target>
  targetCount: number
  /** Targets without a success in the window. */
  failedCount: number
  /** Destination key → last seen, within the window. */
  destinations: Record<string, number>
  destinationCount: number
  /** Port → last seen, within the window. */
  ports: Record<string, number>
  portCount: number
  /** Targets not kept because `max_targets` was reached. */
  overflow: number
  /** The newest failed attempts: event time and id (at most 20). */
  recentFailed: [ts: number, eventId: string][]
  /** False from a finding until the condition has cleared (and a window has passed). */
  armed: boolean
  firedAt: number
  /** The source's usual fan-out: the most distinct destinations and ports seen in a window, outside incidents. */
  baseline: { destinations: number; ports: number }
  /** Peaks of the current and the previous baseline period; a period counts once a window passed without an incident. */
  epoch: { since: number; destinations: number; ports: number }
  previous: { destinations: number; ports: number }
}

function initialState(): FanOutScanState {
  return {
    watermark: -1,
    sweptAt: -1,
    targets: {},
    targetCount: 0,
    failedCount: 0,
    destinations: {},
    destinationCount: 0,
    ports: {},
    portCount: 0,
    overflow: 0,
    recentFailed: [],
    armed: true,
    firedAt: -1,
    baseline: { destinations: 0, ports: 0 },
    epoch: { since: -1, destinations: 0, ports: 0 },
    previous: { destinations: 0, ports: 0 },
  }
}

/** Drop what left the window and recount exactly: O(live entries), at most ~10 times per window. */
function sweep(state: FanOutScanState, cutoff: number): void {
  let targets = 0
  let failed = 0
  for (const key in state.targets) {
    const target = state.targets[key]!
    if (target[1] <= cutoff) {
      delete state.targets[key]
      continue
    }
    targets++
    if (target[2] <= cutoff) failed++
  }
  state.targetCount = targets
  state.failedCount = failed
  state.destinationCount = prune(state.destinations, cutoff)
  state.portCount = prune(state.ports, cutoff)
  state.sweptAt = state.watermark
}

function prune(lastSeen: Record<string, number>, cutoff: number): number {
  let count = 0
  for (const key in lastSeen) {
    if (lastSeen[key]! <= cutoff) delete lastSeen[key]
    else count++
  }
  return count
}

/**
 * Fan-out scan detector: per source workload (the flow's partition key), the distinct destinations
 * and ports it tried within a sliding window; fires once when either reaches `min_distinct` while
 * most of the targets failed, and re-arms once that has cleared and a window has passed. Monitoring
 * workloads (intent) are not followed, declared known drops do not count. Entries expire in sweeps
 * (once a window, every tenth of one while the counts are high, and right before a finding, so a
 * finding's counts are exact); each sweep also samples the source's usual fan-out.
 */
export function fanOutScanDetector(context: RuleContext<Params>): Detector<FanOutScanState> {
  const { intent } = context
  const { window, min_distinct: minDistinct, failed_share_above: failedShareAbove } = context.params
  const sweepEvery = Math.max(1000, Math.floor(window / 10))
  const wide = (state: FanOutScanState) =>
    state.destinationCount >= minDistinct ||
    state.portCount >= minDistinct ||
    state.targetCount >= context.params.min_targets
  const failing = (state: FanOutScanState) =>
    state.targetCount > 0 && state.failedCount / state.targetCount > failedShareAbove

  function sample(state: FanOutScanState, cutoff: number) {
    let first = Number.POSITIVE_INFINITY
    let last = 0
    let attempts = 0
    let failedAttempts = 0
    const failedTargets: string[] = []
    for (const key in state.targets) {
      const target = state.targets[key]!
      attempts += target[3]
      failedAttempts += target[4]
      if (target[2] > cutoff) continue
      // The failed targets are the scan: its span is theirs (a usual peer may be older than the window).
      first = Math.min(first, target[0])
      last = Math.max(last, target[1])
      if (failedTargets.length < 10) {
        const bar = key.lastIndexOf('|')
        failedTargets.push(formatTarget(key.slice(0, bar), Number(key.slice(bar + 1))))
      }
    }
    return { first, last, attempts, failedAttempts, failedTargets }
  }

  return {
    id: context.id,
    kinds: ['flow'],
    // A server answering its many clients is no scan: replies are not attempts.
    accepts: (event) => !isReply(event as FlowEvent),
    partitioning: 'event',
    keyOf: (event) => partitionKey('flow', event as FlowEvent),
    initialState,
    step(state, event: AnyEvent): DetectedFinding[] {
      const flow = event as FlowEvent
      if (isReply(flow)) return []
      const serverPort = serverPortOf(flow)
      const src = sourceOf(flow)
      if (!src) return []
      if (src.workload && intent.isMonitoring(src.workload)) return []
      const dst = destinationOf(flow)
      if (!dst || (dst.external && !context.params.include_external)) return []
      const failed = flow.verdict !== 'allowed'
      if (failed && intent.isKnownDrop(src.workload, dst.workload, serverPort)) return []

      if (flow.ts > state.watermark) state.watermark = flow.ts
      let cutoff = state.watermark - window
      if (flow.ts <= cutoff) return [] // older than the window: too late to count
      // Counts between sweeps can only be too high (expired entries linger), so a source below the
      // threshold needs a sweep only once a window (to bound memory); one above it every tenth.
      if (state.watermark - state.sweptAt >= (wide(state) ? sweepEvery : window)) {
        sweep(state, cutoff)
        rearmAndLearn(state, cutoff)
      }

      const targetKey = `${dst.key}|${serverPort}`
      const target = state.targets[targetKey]
      if (target === undefined) {
        if (state.targetCount >= context.params.max_targets) {
          state.overflow++
          return []
        }
        state.targets[targetKey] = [flow.ts, flow.ts, failed ? -1 : flow.ts, 1, failed ? 1 : 0]
        state.targetCount++
        if (failed) state.failedCount++
      } else {
        if (target[1] <= cutoff) {
          // Expired but not yet swept: a fresh start for this target.
          target[0] = flow.ts
          target[3] = 0
          target[4] = 0
        }
        if (flow.ts < target[0]) target[0] = flow.ts
        if (flow.ts > target[1]) target[1] = flow.ts
        target[3]++
        if (failed) target[4]++
        else {
          if (target[2] <= cutoff) state.failedCount--
          if (flow.ts > target[2]) target[2] = flow.ts
        }
      }
      const port = String(serverPort)
      if (state.destinations[dst.key] === undefined) state.destinationCount++
      state.destinations[dst.key] = Math.max(state.destinations[dst.key] ?? 0, flow.ts)
      if (state.ports[port] === undefined) state.portCount++
      state.ports[port] = Math.max(state.ports[port] ?? 0, flow.ts)
      if (failed) {
        state.recentFailed.push([flow.ts, flow.event_id])
        if (state.recentFailed.length > 20) state.recentFailed.shift()
      }

      if (!state.armed || !wide(state) || !failing(state)) return []
      if (state.sweptAt < state.watermark) {
        // Counts between sweeps may hold expired targets: count exactly before speaking.
        sweep(state, cutoff)
        cutoff = state.watermark - window
        if (!wide(state) || !failing(state)) return []
      }
      return [fire(state, flow, src, cutoff)]
    },
  }

  /** At a sweep: re-arm once the condition cleared a window after the finding; learn the usual fan-out. */
  function rearmAndLearn(state: FanOutScanState, cutoff: number): void {
    if (!state.armed) {
      if (!(wide(state) && failing(state)) && cutoff >= state.firedAt) {
        state.armed = true
        state.epoch = { since: state.watermark, destinations: 0, ports: 0 }
      }
      return
    }
    const { epoch } = state
    if (epoch.since < 0) epoch.since = state.watermark
    epoch.destinations = Math.max(epoch.destinations, state.destinationCount)
    epoch.ports = Math.max(epoch.ports, state.portCount)
    if (state.watermark - epoch.since >= window) {
      // The previous period's peak is trusted only now, a window after it ended without an incident.
      state.baseline.destinations = Math.max(state.baseline.destinations, state.previous.destinations)
      state.baseline.ports = Math.max(state.baseline.ports, state.previous.ports)
      state.previous = { destinations: epoch.destinations, ports: epoch.ports }
      state.epoch = { since: state.watermark, destinations: 0, ports: 0 }
    }
  }

  function fire(state: FanOutScanState, flow: FlowEvent, src: Endpoint, cutoff: number): DetectedFinding {
    const source = src.name
    state.armed = false
    state.firedAt = state.watermark
    state.previous = { destinations: 0, ports: 0 }
    state.epoch = { since: state.watermark, destinations: 0, ports: 0 }
    const { first, last, attempts, failedAttempts, failedTargets } = sample(state, cutoff)
    const share = state.failedCount / state.targetCount
    const percent = Math.round(share * 100)
    const { baseline } = state
    const usual =
      baseline.destinations > 0 || baseline.ports > 0
        ? `its usual fan-out is at most ${plural(baseline.destinations, 'destination')} and ${plural(baseline.ports, 'port')} per ${formatSpan(window)}`
        : `no usual fan-out learned for it yet`
    return buildFinding(context, {
      tenant: flow.tenant,
      ts: flow.ts,
      identity: { source: src.key, since: first },
      title: `Fan-out scan from ${source}: ${state.destinationCount} destinations, ${state.portCount} ports, ${percent}% failed`,
      summary:
        `${source} tried ${plural(state.destinationCount, 'distinct destination')} on ${plural(state.portCount, 'distinct port')} ` +
        `within ${formatSpan(window)}: ${state.failedCount} of its ${state.targetCount} targets (${percent}%) failed ` +
        `(dropped, denied or error), ${failedAttempts} failed attempts between ${formatTime(first)} and ` +
        `${formatTime(last)}, e.g. ${failedTargets.slice(0, 5).join(', ')}. Threshold: ${context.params.min_targets} distinct targets, or ${minDistinct} distinct destinations ` +
        `or ports with more than ${Math.round(failedShareAbove * 100)}% failing; ${usual}. A workload probing many ` +
        `peers that mostly refuse it is mapping the network for a way in: find out what runs in ${source}.`,
      entities: {
        src_identity: source,
        src_workload: src.key,
        ...pivotEntities('src', src),
      },
      evidence: {
        event_ids: evidenceIds(state.recentFailed.filter(([ts]) => ts > cutoff).map(([, id]) => id)),
        distinct_destinations: state.destinationCount,
        distinct_ports: state.portCount,
        targets: state.targetCount,
        failed_targets: state.failedCount,
        failed_share: Math.round(share * 1000) / 1000,
        attempts,
        failed_attempts: failedAttempts,
        sample_targets: failedTargets,
        first_ts: first,
        last_ts: last,
        window_ms: window,
        threshold_distinct: minDistinct,
        threshold_failed_share: failedShareAbove,
        baseline_max_destinations: baseline.destinations,
        baseline_max_ports: baseline.ports,
        ...(state.overflow > 0 ? { targets_not_kept: state.overflow } : {}),
      },
    })
  }
}

/** `fan_out_scan`: a source trying many distinct destinations or ports in a window, mostly failing. */
export const fanOutScanType = defineDetectorType({
  name: 'fan_out_scan',
  description:
    'A workload trying many distinct destinations or ports within a sliding window, most of them failing (a scan)',
  params,
  create: (context) => fanOutScanDetector(context),
})
