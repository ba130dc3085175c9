import { type AnyEvent, type FlowEvent, partitionKey } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import {
  destinationOf,
  formatBytes,
  formatTarget,
  formatTime,
  isReply,
  pivotEntities,
  sourceOf,
} from '../lateral/endpoint.ts'
import { buildFinding, defineDetectorType, evidenceIds, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'

const params = z.strictObject({
  /** Sliding window the bytes sent are summed over (default 30m); baselines are its tumbling windows. */
  window: duration.default(30 * 60_000),
  /** Fire above this many times the baseline (default 10). */
  factor: z.number().positive().default(10),
  /** ... and never below this many bytes in a window (default 500 MB). */
  min_bytes: z.number().int().positive().default(500_000_000),
  /** Per source, from its first flow: no finding meanwhile (default 24h). */
  learning_period: duration.default(24 * 60 * 60_000),
  /** The baseline (highest window seen) halves over this much event time (default 7d). */
  baseline_half_life: duration.default(7 * 24 * 60 * 60_000),
  /**
   * The floor for bytes sent to new, undeclared destinations: addresses no declared egress covers
   * that the workload first reached within the window (after its learning period). An upload this
   * large to a place the workload never used and nobody declared is data leaving, long before the
   * volume floor fills (still above `factor` × baseline). 0 turns it off (the default).
   */
  min_bytes_new_destination: z.number().int().min(0).default(0),
  /** External addresses remembered per workload for that (default 2000; beyond it none counts as new). */
  max_known_destinations: z.number().int().min(1).default(2000),
})

type Params = z.output<typeof params>

/** Bytes per external address (with its last port) in one bucket; at most 16 addresses, the rest in `other`. */
interface Bucket {
  start: number
  bytes: number
  destinations: Record<string, [bytes: number, port: number]>
  destinationCount: number
  other: number
  /** Bytes to new, undeclared destinations (see `min_bytes_new_destination`). */
  fresh: number
  /** Event ids of the bucket's largest uploads (at most 4). */
  ids: [bytes: number, id: string][]
  first: number
  last: number
}

const bucketsPerWindow = 10
const destinationsPerBucket = 16

/** What `exfiltration_volume` remembers per source workload. */
export interface ExfiltrationVolumeState {
  /** Event time of the source's first flow, ms (-1: none yet). */
  learningSince: number
  watermark: number
  /** Tenth-of-a-window buckets of external uploads overlapping the current window, oldest first. */
  buckets: Bucket[]
  /** The tumbling window being summed for the baseline. */
  tumbling: { start: number; bytes: number; incident: boolean }
  /** The last finished tumbling window, waiting for the next to pass without an incident. */
  candidate: { bytes: number; end: number } | null
  /** Baseline: the highest tumbling-window total seen outside incidents, and when (it decays from there). */
  peak: number
  peakAt: number
  /** Tumbling windows with external uploads learned. */
  windowsLearned: number
  /** False from a finding until the window's sum falls below half the threshold. */
  armed: boolean
  /** External address → when the workload first reached it, negated when declared egress covers it. */
  known: Record<string, number>
  knownCount: number
}

/**
 * Exfiltration by volume: the bytes a workload sends to external addresses (public IPs without a
 * workload identity) over a sliding window, against its own baseline: the largest window total it
 * sent in the past (tumbling windows, excluding windows with an incident), decaying with a half
 * life. Fires once when the sum exceeds max(`factor` × baseline, `min_bytes`) after the learning
 * period, and re-arms when it falls below half of that. Destinations are reported declared or not:
 * a huge upload to a declared destination is still a page. Keyed by the flow's partition key.
 */
export function exfiltrationVolumeDetector(context: RuleContext<Params>): Detector<ExfiltrationVolumeState> {
  const { intent } = context
  const p = context.params
  const bucketMs = Math.max(1000, Math.floor(p.window / bucketsPerWindow))

  function baselineAt(state: ExfiltrationVolumeState, ts: number): number {
    if (state.peak === 0) return 0
    return state.peak * 0.5 ** (Math.max(0, ts - state.peakAt) / p.baseline_half_life)
  }

  function commit(state: ExfiltrationVolumeState, window: { bytes: number; end: number }): void {
    if (window.bytes >= baselineAt(state, window.end)) {
      state.peak = window.bytes
      state.peakAt = window.end
    }
    state.windowsLearned++
  }

  /**
   * On entering a new tumbling window, the finished one joins the baseline once a window has passed
   * after it without an incident (an upload's build-up is not its baseline): at once when a quiet
   * window separates it from now, else as the candidate committed at the next roll.
   */
  function learnWindow(state: ExfiltrationVolumeState, ts: number): void {
    const { tumbling } = state
    const start = ts - (ts % p.window)
    if (start <= tumbling.start) return
    if (state.candidate) commit(state, state.candidate)
    state.candidate = null
    if (tumbling.start >= 0 && !tumbling.incident && tumbling.bytes > 0) {
      const finished = { bytes: tumbling.bytes, end: tumbling.start + p.window }
      if (start >= finished.end + p.window) commit(state, finished)
      else state.candidate = finished
    }
    state.tumbling = { start, bytes: 0, incident: !state.armed }
  }

  return {
    id: context.id,
    kinds: ['flow'],
    partitioning: 'event',
    keyOf: (event) => partitionKey('flow', event as FlowEvent),
    initialState: () => ({
      learningSince: -1,
      watermark: -1,
      buckets: [],
      tumbling: { start: -1, bytes: 0, incident: false },
      candidate: null,
      peak: 0,
      peakAt: 0,
      windowsLearned: 0,
      armed: true,
      known: {},
      knownCount: 0,
    }),
    step(state, event: AnyEvent): DetectedFinding[] {
      const flow = event as FlowEvent
      if (state.learningSince < 0 || flow.ts < state.learningSince) state.learningSince = flow.ts
      if (flow.bytes_sent === 0 || flow.dst_ip === undefined || flow.verdict !== 'allowed') return []
      const dst = destinationOf(flow)
      if (!dst?.external || isReply(flow)) return []
      const src = sourceOf(flow)
      if (!src || src.external) return []

      const ts = flow.ts
      const fresh =
        p.min_bytes_new_destination > 0 &&
        isNewUndeclared(state, flow.dst_ip, flow.dst_port, ts, flow.dst_host)
      if (ts > state.watermark) {
        state.watermark = ts
        learnWindow(state, ts)
      }
      const windowStart = state.watermark - p.window
      if (ts <= windowStart) return [] // too late for the window
      if (ts >= state.tumbling.start) state.tumbling.bytes += flow.bytes_sent
      while (state.buckets.length > 0 && state.buckets[0]!.start + bucketMs <= windowStart)
        state.buckets.shift()

      const start = ts - (ts % bucketMs)
      let at = state.buckets.length
      while (at > 0 && state.buckets[at - 1]!.start > start) at--
      let bucket = state.buckets[at - 1]
      if (bucket?.start !== start) {
        bucket = {
          start,
          bytes: 0,
          destinations: {},
          destinationCount: 0,
          other: 0,
          fresh: 0,
          ids: [],
          first: ts,
          last: ts,
        }
        state.buckets.splice(at, 0, bucket)
      }
      bucket.bytes += flow.bytes_sent
      if (fresh) bucket.fresh += flow.bytes_sent
      bucket.first = Math.min(bucket.first, ts)
      bucket.last = Math.max(bucket.last, ts)
      const ip = flow.dst_ip
      const entry = bucket.destinations[ip]
      if (entry) {
        entry[0] += flow.bytes_sent
        entry[1] = flow.dst_port
      } else if (bucket.destinationCount < destinationsPerBucket) {
        bucket.destinations[ip] = [flow.bytes_sent, flow.dst_port]
        bucket.destinationCount++
      } else bucket.other += flow.bytes_sent
      keepLargest(bucket.ids, flow.bytes_sent, flow.event_id)

      let sum = 0
      let freshSum = 0
      for (const b of state.buckets) {
        sum += b.bytes
        freshSum += b.fresh
      }
      const baseline = baselineAt(state, state.watermark)
      const threshold = Math.max(p.factor * baseline, p.min_bytes)
      const freshThreshold = Math.max(p.factor * baseline, p.min_bytes_new_destination)
      if (!state.armed) {
        if (sum < threshold / 2 && (p.min_bytes_new_destination === 0 || freshSum < freshThreshold / 2))
          state.armed = true
        return []
      }
      const volume = sum > threshold
      const toNew = p.min_bytes_new_destination > 0 && freshSum > freshThreshold
      if (!volume && !toNew) return []
      const learnedFor = ts - state.learningSince
      if (learnedFor < p.learning_period) return []
      state.armed = false
      state.tumbling.incident = true
      state.candidate = null
      return [
        fire(state, flow, src.name, src.key, sum, baseline, volume ? threshold : freshThreshold, learnedFor, {
          volume,
          freshSum,
        }),
      ]
    },
  }

  /**
   * Whether `ip` is a destination the workload first reached within the window, after its learning
   * period, that no declared egress covers (remembering it on first sight).
   */
  function isNewUndeclared(
    state: ExfiltrationVolumeState,
    ip: string,
    port: number,
    ts: number,
    host: string | undefined,
  ): boolean {
    // State checkpointed before destinations were remembered starts remembering now.
    state.known ??= {}
    state.knownCount ??= 0
    let seen = state.known[ip]
    if (seen === undefined) {
      if (state.knownCount >= p.max_known_destinations) return false
      // The host the record names (TLS SNI) lets declarations by host name cover the address.
      const declared = intent.declaredEgress({ ip, port, ...(host ? { host } : {}) }).declared
      // Negated when declared; +1 so that epoch 0 keeps its sign.
      seen = declared ? -(ts + 1) : ts + 1
      state.known[ip] = seen
      state.knownCount++
    }
    if (seen < 0) return false
    const firstSeen = seen - 1
    return firstSeen - state.learningSince >= p.learning_period && ts - firstSeen < p.window
  }

  function fire(
    state: ExfiltrationVolumeState,
    flow: FlowEvent,
    source: string,
    sourceKey: string,
    sum: number,
    baseline: number,
    threshold: number,
    learnedFor: number,
    crossed: { volume: boolean; freshSum: number },
  ): DetectedFinding {
    const totals = new Map<string, [bytes: number, port: number]>()
    let other = 0
    let first = Number.POSITIVE_INFINITY
    let last = 0
    const ids: [number, string][] = []
    for (const bucket of state.buckets) {
      other += bucket.other
      first = Math.min(first, bucket.first)
      last = Math.max(last, bucket.last)
      for (const [bytes, id] of bucket.ids) keepLargest(ids, bytes, id, 20)
      for (const ip in bucket.destinations) {
        const [bytes, port] = bucket.destinations[ip]!
        const total = totals.get(ip)
        totals.set(ip, [(total?.[0] ?? 0) + bytes, port])
      }
    }
    const top = [...totals.entries()]
      .sort((a, b) => b[1][0] - a[1][0] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 3)
      .map(([ip, [bytes, port]]) => {
        const declared = intent.declaredEgress({ ip, port })
        return { ip, port, bytes, declared: declared.declared, ...(declared.by ? { by: declared.by } : {}) }
      })
    const described = top
      .map(
        (d) =>
          `${formatTarget(d.ip, d.port)} ${formatBytes(d.bytes)} (${d.declared ? `declared${d.by ? ` by ${d.by}` : ''}` : 'not declared'})`,
      )
      .join(', ')
    const usual =
      state.windowsLearned === 0
        ? `it has no upload baseline (nothing sent to the internet learned over the previous ${formatSpan(learnedFor)})`
        : `its baseline is ${formatBytes(Math.round(baseline))} per ${formatSpan(p.window)} (the most it sent in one window, decaying)`
    const span = formatSpan(p.window)
    return buildFinding(context, {
      tenant: flow.tenant,
      ts: flow.ts,
      identity: { source: sourceKey, since: first },
      title: `${source} sent ${formatBytes(sum)} to the internet in ${span}`,
      summary:
        `${source} sent ${formatBytes(sum)} to external destinations between ${formatTime(first)} and ` +
        `${formatTime(last)} (window ${span})` +
        (crossed.volume
          ? ''
          : `, ${formatBytes(crossed.freshSum)} of it to addresses it never reached before and no declared egress covers`) +
        `; ${usual}; threshold ${formatBytes(Math.round(threshold))} ` +
        (crossed.volume
          ? `(${p.factor}× baseline, at least ${formatBytes(p.min_bytes)})`
          : `to new undeclared destinations (${p.factor}× baseline, at least ${formatBytes(p.min_bytes_new_destination)})`) +
        `. Top destinations: ${described}` +
        `${other > 0 ? `, others ${formatBytes(other)}` : ''}. An upload this far above what the workload ` +
        `normally sends is how stolen data leaves: find out what ${source} sent and to whom.`,
      entities: {
        src_identity: source,
        src_workload: sourceKey,
        // The pod and address of the flow that crossed the threshold, as its record names them.
        ...pivotEntities('src', sourceOf(flow)),
        ...(top[0] ? { dst_ip: top[0].ip } : {}),
        // The host the crossing flow asked for (its TLS SNI), when the record names one.
        ...(flow.dst_host ? { dst_host: flow.dst_host } : {}),
      },
      evidence: {
        event_ids: evidenceIds(ids.map(([, id]) => id)),
        bytes_in_window: sum,
        bytes_to_new_undeclared: crossed.freshSum,
        crossed: crossed.volume ? 'volume' : 'new_undeclared_destination',
        baseline_bytes: Math.round(baseline),
        threshold_bytes: Math.round(threshold),
        factor: p.factor,
        min_bytes: p.min_bytes,
        window_ms: p.window,
        windows_learned: state.windowsLearned,
        top_destinations: top,
        first_ts: first,
        last_ts: last,
      },
    })
  }
}

/** Keep the `limit` largest (bytes, id) pairs, largest first. */
function keepLargest(list: [number, string][], bytes: number, id: string, limit = 4): void {
  if (list.length >= limit && list[list.length - 1]![0] >= bytes) return
  let at = list.length
  while (at > 0 && list[at - 1]![0] < bytes) at--
  list.splice(at, 0, [bytes, id])
  if (list.length > limit) list.pop()
}

/** `exfiltration_volume`: bytes sent to the internet in a window far above the workload's baseline. */
export const exfiltrationVolumeType = defineDetectorType({
  name: 'exfiltration_volume',
  description: 'A workload sending far more bytes to external destinations within a window than its baseline',
  params,
  create: (context) => exfiltrationVolumeDetector(context),
})
