import type { MtlsEvent } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, evidenceIds } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import { clientName, destinationKey, formatTop, mtlsDestination, topCounts } from './mtls-destination.ts'

/** Handshakes to the destination in one slice of the window. */
interface Bucket {
  /** Slice start, epoch ms. */
  t: number
  failures: number
  successes: number
  /** Failure reason → failed handshakes (at most {@link maxNames} names, then `other`). */
  reasons: Record<string, number>
  /** Client → failed handshakes. */
  clients: Record<string, number>
  /** Telemetry source → failed handshakes. */
  sources: Record<string, number>
  /** Newest ids of failure records. */
  ids: string[]
  /** First and last failure times in the slice, epoch ms (0: none yet). */
  first: number
  last: number
}

/** What the detector remembers per destination (its key). */
export interface HandshakeFailureBurstState {
  /** Slices of the window, oldest first. */
  buckets: Bucket[]
  /** Newest event time seen, epoch ms: the window ends here. */
  now: number
  /** Whether a burst was reported and has not cleared yet. */
  active: boolean
}

const slices = 10
const maxNames = 16
const idsPerBucket = 10

function add(counts: Record<string, number>, name: string, count: number): void {
  if (name in counts) counts[name]! += count
  else if (Object.keys(counts).length < maxNames) counts[name] = count
  else counts.other = (counts.other ?? 0) + count
}

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [name, count] of Object.entries(from)) into[name] = (into[name] ?? 0) + count
}

/** Failed handshakes in the slices that end after `since`, epoch ms. */
function failuresSince(buckets: readonly Bucket[], since: number, slice: number): number {
  let failures = 0
  for (const b of buckets) if (b.t + slice > since) failures += b.failures
  return failures
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`
}

/**
 * `handshake_failure_burst`: many failed mTLS handshakes (the sum of the records' `count`, since
 * metrics-derived records stand for many) to one destination within a sliding window, at a failure
 * ratio at or above the threshold (the ratio is 100% when no success was reported). Names the top
 * failure reasons, clients and telemetry sources. Optionally a fast tier fires on fewer failures
 * within the newest minute while most handshakes fail (records that arrive as they happen, such as
 * a client sidecar's failed-request lines, page in seconds). Re-keyed by destination
 * (`<tenant>/dst/<workload>`); fires once per burst and re-arms when both tiers fall under half
 * their thresholds.
 */
export const handshakeFailureBurstType = defineDetectorType({
  name: 'handshake_failure_burst',
  description: 'A burst of failed mTLS handshakes to one destination within a window',
  params: z.strictObject({
    window: duration.default(5 * 60 * 1000),
    /** Failed handshakes in the window that make a burst. */
    min_failures: z.number().int().min(1).default(50),
    /** Failed / all handshakes in the window at or above which it is a burst. */
    min_failure_ratio: z.number().min(0).max(1).default(0.2),
    /**
     * The fast tier: this many failures within `fast_window` (the newest slices of the window) are a
     * burst too, when at least `fast_min_failure_ratio` of the window's handshakes failed: a
     * destination nobody can connect to, paged in seconds from records that arrive as it happens
     * (access logs) rather than when the volume tier fills. 0 turns it off (the default).
     */
    fast_min_failures: z.number().int().min(0).default(0),
    fast_window: duration.default(60_000),
    fast_min_failure_ratio: z.number().min(0).max(1).default(0.5),
  }),
  create(context): Detector<HandshakeFailureBurstState> {
    const {
      window,
      min_failures: minFailures,
      min_failure_ratio: minRatio,
      fast_min_failures: fastMinFailures,
      fast_window: fastWindow,
      fast_min_failure_ratio: fastMinRatio,
    } = context.params
    const slice = Math.max(1000, Math.floor(window / slices))
    return {
      id: context.id,
      kinds: ['mtls'],
      accepts: (event) => mtlsDestination(event as MtlsEvent) !== undefined,
      partitioning: 'rekeyed',
      keyOf: destinationKey,
      initialState: () => ({ buckets: [], now: 0, active: false }),
      step(state, event): DetectedFinding[] {
        const record = event as MtlsEvent
        const destination = mtlsDestination(record)
        if (!destination) return []
        if (record.ts > state.now) state.now = record.ts
        const windowStart = state.now - window
        if (record.ts < windowStart) return []
        // Forget slices that left the window.
        let drop = 0
        while (drop < state.buckets.length && state.buckets[drop]!.t + slice <= windowStart) drop++
        if (drop > 0) state.buckets.splice(0, drop)
        const start = record.ts - (record.ts % slice)
        let index = state.buckets.length - 1
        while (index >= 0 && state.buckets[index]!.t > start) index--
        let bucket = index >= 0 ? state.buckets[index] : undefined
        if (bucket === undefined || bucket.t !== start) {
          bucket = {
            t: start,
            failures: 0,
            successes: 0,
            reasons: {},
            clients: {},
            sources: {},
            ids: [],
            first: 0,
            last: 0,
          }
          state.buckets.splice(index + 1, 0, bucket)
        }
        if (record.outcome === 'success') bucket.successes += record.count
        else {
          bucket.failures += record.count
          add(bucket.reasons, record.reason ?? 'unspecified', record.count)
          const client = clientName(record)
          if (client) add(bucket.clients, client, record.count)
          add(bucket.sources, record.source, record.count)
          bucket.ids.push(record.event_id)
          if (bucket.ids.length > idsPerBucket) bucket.ids.shift()
          if (bucket.first === 0 || record.ts < bucket.first) bucket.first = record.ts
          if (record.ts > bucket.last) bucket.last = record.ts
        }
        const failures = failuresSince(state.buckets, Number.NEGATIVE_INFINITY, slice)
        let successes = 0
        for (const b of state.buckets) successes += b.successes
        const ratio = failures === 0 ? 0 : failures / (failures + successes)
        if (state.active) {
          // Re-armed once neither tier is within half of its threshold.
          const volumeCleared = failures < minFailures / 2 || ratio < minRatio / 2
          const fastCleared =
            fastMinFailures === 0 ||
            ratio < fastMinRatio / 2 ||
            failuresSince(state.buckets, state.now - fastWindow, slice) < fastMinFailures / 2
          if (volumeCleared && fastCleared) state.active = false
          return []
        }
        if (record.outcome === 'success') return []
        const volume = failures >= minFailures && ratio >= minRatio
        const fast =
          fastMinFailures > 0 &&
          ratio >= fastMinRatio &&
          failuresSince(state.buckets, state.now - fastWindow, slice) >= fastMinFailures
        if (!volume && !fast) return []
        state.active = true
        const reasons: Record<string, number> = {}
        const clients: Record<string, number> = {}
        const sources: Record<string, number> = {}
        const ids: string[] = []
        let first = Number.POSITIVE_INFINITY
        let last = 0
        for (const b of state.buckets) {
          merge(reasons, b.reasons)
          merge(clients, b.clients)
          merge(sources, b.sources)
          ids.push(...b.ids)
          if (b.failures > 0) {
            first = Math.min(first, b.first)
            last = Math.max(last, b.last)
          }
        }
        const topReasons = topCounts(reasons)
        const topClients = topCounts(clients)
        const topSources = topCounts(sources)
        const span = Math.max(0, last - first)
        const ratioText =
          successes === 0
            ? 'no successful handshake to it was reported in the window'
            : `${percent(ratio)} of ${failures + successes} handshakes failed`
        return [
          buildFinding(context, {
            tenant: record.tenant,
            ts: record.ts,
            identity: { dst: destination.key, window_start: state.buckets[0]!.t },
            title: `mTLS handshake failures to ${destination.name}`,
            summary:
              `${failures} mTLS handshakes to ${destination.name} failed within ${formatSpan(Math.max(span, 1000))} ` +
              `(window ${formatSpan(window)}; ${ratioText}; threshold ≥ ${minFailures} failures and ≥ ${percent(minRatio)}` +
              (volume
                ? ''
                : `, or ≥ ${fastMinFailures} within ${formatSpan(fastWindow)} and ≥ ${percent(fastMinRatio)}`) +
              '). ' +
              `Top reasons: ${formatTop(topReasons)}` +
              (topClients.length > 0
                ? `; top clients: ${formatTop(topClients)}`
                : '; the records name no client') +
              `; reported by ${formatTop(topSources)}. Callers of ${destination.name} cannot connect: ` +
              'a certificate or CA rotation gone wrong, a mis-set PeerAuthentication, or clients presenting bad credentials.',
            entities: {
              [destination.entity]: destination.name,
              ...(record.service !== 'unknown' ? { service: record.service } : {}),
            },
            evidence: {
              event_ids: evidenceIds(ids),
              failures,
              successes,
              failure_ratio: Math.round(ratio * 1000) / 1000,
              reasons,
              top_clients: topClients,
              sources,
              first_failure: first,
              last_failure: last,
              window_ms: window,
              min_failures: minFailures,
              min_failure_ratio: minRatio,
              tier: volume ? 'volume' : 'fast',
            },
          }),
        ]
      },
    }
  },
})
