import { type IntentVerdict, parseWorkload } from '@palisade/intent'
import {
  type AnyEvent,
  canonicalWorkload,
  type DecisionEvent,
  type FlowEvent,
  partitionKey,
} from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { isReply, serverPortOf, withApp } from '../lateral/endpoint.ts'
import { buildFinding, defineDetectorType, evidenceIds } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import { memoize } from './memo.ts'
import { canonicalName, resourceShape } from './request-pair.ts'

const workloadOf = memoize((identity: string) => parseWorkload(identity))

/** Observed-but-forbidden traffic of one source to one destination. */
interface DriftEdge {
  /** Times of the newest allowed flows / decisions (at most {@link maxTimes}), ascending, epoch ms. */
  times: number[]
  /** Newest event ids. */
  ids: string[]
  /** Latest event time, epoch ms. */
  last: number
  /** Event time of the last finding, epoch ms. */
  firedAt?: number
}

/** What the detector remembers per source workload (its key). */
export interface DriftState {
  edges: Record<string, DriftEdge>
  size: number
}

const maxEdges = 256
const maxTimes = 20

function isDecision(event: AnyEvent): event is DecisionEvent {
  return 'decision' in event
}

function iso(ts: number): string {
  return new Date(ts).toISOString()
}

function prune(state: DriftState, before: number): void {
  for (const [key, edge] of Object.entries(state.edges)) {
    if (edge.last < before) {
      delete state.edges[key]
      state.size--
    }
  }
  if (state.size >= maxEdges) {
    const oldest = Object.entries(state.edges)
      .sort((a, b) => a[1].last - b[1].last)
      .slice(0, maxEdges / 2)
    for (const [key] of oldest) delete state.edges[key]
    state.size -= oldest.length
  }
}

/** What one event says, when it is traffic the declared intent forbids. */
interface Observation {
  key: string
  layer: 'network' | 'authorization'
  verdict: IntentVerdict
  src: string
  dst: string
  port?: number
  action?: string
  resource?: string
}

/**
 * `drift`: traffic the declared intent forbids keeps getting through, i.e. the intent is not
 * enforced. Network: allowed flows between two workloads of one namespace where
 * `intent.networkVerdict` is `denied` (cross-namespace flows are `lateral.cross_namespace`'s);
 * authorization: `allow` decisions (not dry-run) where `intent.authorizationVerdict` is `denied`.
 * Recurring only: at least `min_count` within `window` for one (source, destination, port or
 * request); then quiet for `rearm_period`. Edges a declared change adds (`isDeclaredEdge`) are
 * left alone. Keyed by the source workload (the events' partition key).
 */
export const driftType = defineDetectorType({
  name: 'drift',
  description:
    'Allowed traffic that the declared intent (NetworkPolicy, AuthorizationPolicy) forbids, recurring',
  params: z.strictObject({
    /** Allowed flows or decisions to one destination that make it recurring. */
    min_count: z.number().int().min(1).default(5),
    /** Within how long. */
    window: duration.default(6 * 60 * 60 * 1000),
    /** How long after a finding the same edge stays quiet. */
    rearm_period: duration.default(24 * 60 * 60 * 1000),
  }),
  create(context): Detector<DriftState> {
    const { intent, params } = context
    const { min_count: minCount, window, rearm_period: rearm } = params

    function observe(event: AnyEvent): Observation | undefined {
      if (isDecision(event)) {
        if (!event.src_identity || !event.dst_identity) return undefined
        const src = workloadOf(event.src_identity)
        const dst = workloadOf(event.dst_identity)
        if (!src || !dst) return undefined
        if (intent.isDeclaredEdge(event.ts, src, dst)) return undefined
        const request = {
          ...(event.action ? { method: event.action } : {}),
          ...(event.resource ? { path: event.resource } : {}),
        }
        const verdict = intent.authorizationVerdict(src, dst, request)
        if (verdict.verdict !== 'denied') return undefined
        const shape = resourceShape(event.resource)
        return {
          key: `a|${canonicalName(event.dst_identity)}|${event.action ?? '-'}|${shape}`,
          layer: 'authorization',
          verdict,
          src: event.src_identity,
          dst: event.dst_identity,
          ...(event.action ? { action: event.action } : {}),
          resource: shape,
        }
      }
      const flow = event as FlowEvent
      if (!flow.src_identity || !flow.dst_identity) return undefined
      const src = withApp(workloadOf(flow.src_identity), flow.src_app)
      const dst = withApp(workloadOf(flow.dst_identity), flow.dst_app)
      if (!src || !dst) return undefined
      if (src.namespace !== dst.namespace) return undefined
      const port = serverPortOf(flow)
      if (intent.isDeclaredEdge(flow.ts, src, dst, port)) return undefined
      const verdict = intent.networkVerdict(src, dst, port, flow.protocol)
      if (verdict.verdict !== 'denied') return undefined
      return {
        key: `n|${canonicalName(flow.dst_identity)}|${port}`,
        layer: 'network',
        verdict,
        src: flow.src_identity,
        dst: flow.dst_identity,
        port,
      }
    }

    return {
      id: context.id,
      kinds: ['flow', 'decision'],
      accepts: (event) =>
        isDecision(event)
          ? event.decision === 'allow' &&
            !event.dry_run &&
            event.src_identity !== undefined &&
            event.dst_identity !== undefined
          : (event as FlowEvent).verdict === 'allowed' &&
            !isReply(event as FlowEvent) &&
            (event as FlowEvent).src_identity !== undefined &&
            (event as FlowEvent).dst_identity !== undefined,
      partitioning: 'event',
      // The partition key (`partitionKey`): both kinds are keyed by their source identity, which
      // every accepted event has; computed through the memo, since it runs for every event.
      keyOf: (event) => {
        const src = (event as FlowEvent | DecisionEvent).src_identity
        if (src !== undefined) return `${event.tenant}/${canonicalName(src)}`
        return isDecision(event) ? partitionKey('decision', event) : partitionKey('flow', event as FlowEvent)
      },
      initialState: () => ({ edges: {}, size: 0 }),
      step(state, event): DetectedFinding[] {
        const seen = observe(event)
        if (!seen) return []
        const ts = event.ts
        let edge = state.edges[seen.key]
        if (edge === undefined) {
          if (state.size >= maxEdges) prune(state, ts - Math.max(window, rearm))
          edge = { times: [], ids: [], last: ts }
          state.edges[seen.key] = edge
          state.size++
        }
        // Keep the newest times in order (events arrive a few minutes out of order).
        let at = edge.times.length
        while (at > 0 && edge.times[at - 1]! > ts) at--
        edge.times.splice(at, 0, ts)
        if (edge.times.length > Math.max(minCount, maxTimes)) edge.times.shift()
        if (ts > edge.last) edge.last = ts
        edge.ids.push(event.event_id)
        if (edge.ids.length > maxTimes) edge.ids.shift()
        // How many fell within one window ending at the newest.
        const newest = edge.times[edge.times.length - 1]!
        let first = edge.times.length - 1
        while (first > 0 && newest - edge.times[first - 1]! <= window) first--
        const count = edge.times.length - first
        if (count < minCount) return []
        if (edge.firedAt !== undefined && Math.abs(ts - edge.firedAt) < rearm) return []
        edge.firedAt = ts
        const since = edge.times[first]!
        const by = seen.verdict.by ?? 'the declared intent'
        const network = seen.layer === 'network'
        const what = network
          ? `${seen.src} reached ${seen.dst} on port ${seen.port} in ${count} allowed flows`
          : `${seen.src} was allowed ${count} times to call ${seen.dst}${seen.action ? ` ${seen.action}` : ''} ${seen.resource}`
        const span = `between ${iso(since)} and ${iso(newest)}`
        const reporter = `reported by ${event.source}${isDecision(event) ? ` at ${event.enforcement_point ?? event.pdp}` : ''}`
        const tail = network
          ? 'the declared network policy is not being enforced (intent not enforced): check that the CNI enforces NetworkPolicy and that the applied policy is the declared one.'
          : 'the declared authorization policy is not being enforced (intent not enforced): the enforcement point decides with a policy that differs from the declared one.'
        return [
          buildFinding(context, {
            tenant: event.tenant,
            ts,
            identity: { layer: seen.layer, src: canonicalWorkload(seen.src), edge: seen.key, at: ts },
            title: `Intent not enforced: ${seen.src} → ${seen.dst}${network ? `:${seen.port}` : ''}`,
            summary:
              `${what} ${span} (${reporter}), although ${by} does not allow it: ${tail} ` +
              `Threshold: ≥ ${minCount} within ${formatSpan(window)}.`,
            entities: {
              src_identity: seen.src,
              dst_identity: seen.dst,
              ...(seen.port !== undefined ? { dst_port: String(seen.port) } : {}),
              ...(seen.action ? { action: seen.action } : {}),
              ...(seen.resource ? { resource: seen.resource } : {}),
              declared_by: by,
              layer: seen.layer,
            },
            evidence: {
              event_ids: evidenceIds(edge.ids),
              count,
              first_seen: since,
              last_seen: newest,
              intent_verdict: seen.verdict.verdict,
              declared_by: by,
              min_count: minCount,
              window_ms: window,
            },
          }),
        ]
      },
    }
  },
})
