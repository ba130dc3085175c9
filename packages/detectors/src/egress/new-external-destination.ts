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
  plural,
  sourceOf,
} from '../lateral/endpoint.ts'
import { buildFinding, defineDetectorType, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'

const params = z.strictObject({
  /** Per source, from its first flow: external destinations used meanwhile are its usual ones (default 24h). */
  learning_period: duration.default(24 * 60 * 60_000),
  /**
   * Most external addresses remembered per source (default 2,000). Past it the source is a client of
   * ever-changing addresses (CDNs, object stores), for which "new" means nothing: counted, not reported.
   */
  max_known: z.number().int().min(1).max(100_000).default(2000),
})

type Params = z.output<typeof params>

/** What `new_external_destination` remembers per source workload. */
export interface NewExternalDestinationState {
  /** Event time of the source's first flow, ms (-1: none yet). */
  learningSince: number
  /** External addresses the source reached → first seen, ms. */
  known: Record<string, number>
  knownCount: number
  /** New addresses not remembered (nor reported) because `known` was full. */
  overflow: number
}

/**
 * Egress to somewhere new: an allowed flow from a workload to an external address (no workload
 * identity, or Cilium's world, and a public IP) the workload never reached, once its learning period
 * is over, and which no declared egress (PalisadeIntent `egress`, by CIDR or host, and port) covers.
 * Declared destinations are learned quietly. The learning period starts at the source's first flow
 * of any kind, so a workload that never reached the internet and suddenly does is reported. Replies
 * to connections others opened (service port → ephemeral port) are not egress. Keyed by the flow's
 * partition key (the source).
 */
export function newExternalDestinationDetector(
  context: RuleContext<Params>,
): Detector<NewExternalDestinationState> {
  const { intent } = context
  const { learning_period: learningPeriod, max_known: maxKnown } = context.params
  return {
    id: context.id,
    kinds: ['flow'],
    partitioning: 'event',
    keyOf: (event) => partitionKey('flow', event as FlowEvent),
    initialState: () => ({ learningSince: -1, known: {}, knownCount: 0, overflow: 0 }),
    step(state, event: AnyEvent): DetectedFinding[] {
      const flow = event as FlowEvent
      if (state.learningSince < 0 || flow.ts < state.learningSince) state.learningSince = flow.ts
      if (flow.verdict !== 'allowed' || flow.dst_ip === undefined) return []
      const dst = destinationOf(flow)
      if (!dst?.external || isReply(flow)) return []
      const src = sourceOf(flow)
      if (!src || src.external) return []
      const ip = flow.dst_ip
      const seen = state.known[ip]
      if (seen !== undefined) {
        if (flow.ts < seen) state.known[ip] = flow.ts
        return []
      }
      if (state.knownCount >= maxKnown) {
        state.overflow++
        return []
      }
      const usual = state.knownCount
      state.known[ip] = flow.ts
      state.knownCount++
      const learnedFor = flow.ts - state.learningSince
      if (learnedFor < learningPeriod) return []
      // The host the record names (TLS SNI, egress cluster) lets declarations by host name cover it.
      const host = flow.dst_host
      if (intent.declaredEgress({ ip, port: flow.dst_port, ...(host ? { host } : {}) }).declared) return []
      const target = `${formatTarget(ip, flow.dst_port)}${host ? ` (${host})` : ''}`
      return [
        buildFinding(context, {
          tenant: flow.tenant,
          ts: flow.ts,
          identity: { source: src.key, destination: ip },
          title: `New external destination from ${src.name}: ${target}`,
          summary:
            `${src.name} connected to external address ${target} for the first time at ${formatTime(flow.ts)} ` +
            `(${formatBytes(flow.bytes_sent)} sent): it is not among the ${plural(usual, 'external address', 'external addresses')} ${src.name} ` +
            `reached over the previous ${formatSpan(learnedFor)}, and no declared egress covers it. A workload ` +
            `talking to a new, undeclared place on the internet may be calling home to an attacker or ` +
            `staging data to leave: confirm who owns ${host ?? ip}, then declare it or block it.`,
          entities: {
            src_identity: src.name,
            src_workload: src.key,
            ...pivotEntities('src', src),
            dst_ip: ip,
            ...(host ? { dst_host: host } : {}),
            dst_port: String(flow.dst_port),
            service: flow.service,
          },
          evidence: {
            event_ids: [flow.event_id],
            first_seen: flow.ts,
            known_destinations: usual,
            baseline_since: state.learningSince,
            baseline_age_ms: learnedFor,
            learning_period_ms: learningPeriod,
            declared: false,
            bytes_sent: flow.bytes_sent,
            bytes_received: flow.bytes_received,
            ...(flow.dst_identity !== undefined ? { dst_identity: flow.dst_identity } : {}),
            ...(state.overflow > 0 ? { destinations_not_remembered: state.overflow } : {}),
          },
        }),
      ]
    },
  }
}

/** `new_external_destination`: an allowed flow to an external address never seen from the source, not declared. */
export const newExternalDestinationType = defineDetectorType({
  name: 'new_external_destination',
  description:
    'A workload reaching an external address it never used, after a learning period, that no declared egress covers',
  params,
  create: (context) => newExternalDestinationDetector(context),
})
