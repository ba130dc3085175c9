import type { DeclaredIntent } from '@palisade/intent'
import { type AnyEvent, deriveEventId, type FlowEvent, partitionKey, type Severity } from '@palisade/schema'
import type { DetectedFinding, Detector } from './detector.ts'
import {
  destinationOf,
  formatTarget,
  isReply,
  pivotEntities,
  plural,
  serverPortOf,
  sourceOf,
} from './lateral/endpoint.ts'

/** Settings of the new-edge detector. */
export interface NewEdgeOptions {
  /** Rule id (default `lateral.new_edge`). */
  id?: string
  /** Event time spent learning the normal edges before reporting new ones, ms (default 1 h). */
  learningPeriodMs?: number
  /** Severity of a new edge (default `ticket`: worth a look, not a page on its own). */
  severity?: Severity
  /** Destination ports whose new edges page (default 22, 3389, 5432, 3306, 6379, 27017, 9200). */
  sensitivePorts?: number[]
  /**
   * Declared intent (default: nothing declared): edges a declared change adds while it runs are
   * learned quietly, monitoring workloads are not followed, sensitive destinations page.
   */
  intent?: DeclaredIntent
  /**
   * Most edges remembered per source (default 2,000). Past it, new edges are counted in `overflow`
   * and no longer reported: a source with thousands of edges has no "usual" set to compare with
   * (a scan is `fan_out_scan`'s business).
   */
  maxEdgesPerSource?: number
}

/** What the detector remembers per source workload (its key). */
export interface NewEdgeState {
  /** Event time of the source's first flow, ms: its learning period starts here. */
  learningSince: number | null
  /** The source's known destinations (canonical `workload:port` or `ip:port`) → event time first seen, ms. */
  edges: Record<string, number>
  /** How many entries `edges` holds. */
  edgeCount: number
  /** New edges not remembered (nor reported) because `edges` was full. */
  overflow: number
}

/** The workload part of a SPIFFE ID (`spiffe://td/ns/shop/sa/web` → `web`), for titles. */
function shortName(endpoint: string): string {
  return endpoint.startsWith('spiffe://') ? (endpoint.split('/').pop() ?? endpoint) : endpoint
}

/**
 * Lateral movement, first signal: a service-to-service edge (source workload → destination
 * workload:port) never seen before, once the learning period is over. Workloads are compared
 * canonically, so an Envoy SPIFFE ID and Hubble's `namespace/workload` are one edge. Only allowed
 * flows build the baseline and raise findings (a dropped attempt is a scan's signal, not an edge),
 * and only internal ones: a destination on the internet is egress's business. Pages when the port
 * is a sensitive one or intent declares the destination sensitive.
 *
 * State is kept per source workload (the flow's partition key), so detectors scale out with
 * partitions; the price is that a workload seen for the first time learns its own edges for a
 * learning period (a brand-new identity is another detector's signal).
 */
export function newEdgeDetector(options: NewEdgeOptions = {}): Detector<NewEdgeState> {
  const learningPeriodMs = options.learningPeriodMs ?? 60 * 60 * 1000
  const sensitivePorts = new Set(options.sensitivePorts ?? [22, 3389, 5432, 3306, 6379, 27017, 9200])
  const maxEdges = options.maxEdgesPerSource ?? 2000
  const intent = options.intent
  const id = options.id ?? 'lateral.new_edge'
  return {
    id,
    kinds: ['flow'],
    // A reply is the server answering a connection it did not open: no edge of its own.
    accepts: (event) => (event as FlowEvent).verdict === 'allowed' && !isReply(event as FlowEvent),
    partitioning: 'event',
    keyOf: (event) => partitionKey('flow', event as FlowEvent),
    initialState: () => ({ learningSince: null, edges: {}, edgeCount: 0, overflow: 0 }),
    step(state, event: AnyEvent): DetectedFinding[] {
      const flow = event as FlowEvent
      if (flow.verdict !== 'allowed' || isReply(flow)) return []
      const port = serverPortOf(flow)
      const src = sourceOf(flow)
      const dst = destinationOf(flow)
      if (!src || !dst || dst.external) return []
      if (src.workload && intent?.isMonitoring(src.workload)) return []
      if (state.learningSince === null || flow.ts < state.learningSince) state.learningSince = flow.ts
      const destination = `${dst.key}:${port}`
      const known = state.edges[destination]
      if (known !== undefined) {
        // Out-of-order delivery: keep the earliest time the edge was seen.
        if (flow.ts < known) state.edges[destination] = flow.ts
        return []
      }
      if (state.edgeCount >= maxEdges) {
        state.overflow++
        return []
      }
      const baselineSize = state.edgeCount
      state.edges[destination] = flow.ts
      state.edgeCount++
      const learnedFor = flow.ts - state.learningSince
      if (learnedFor < learningPeriodMs) return []
      // A change declared to add this edge, running now: expected, learned without a word.
      if (src.workload && dst.workload && intent?.isDeclaredEdge(flow.ts, src.workload, dst.workload, port))
        return []
      const sensitivePort = sensitivePorts.has(port)
      const sensitiveService = dst.workload !== undefined && intent?.isSensitive(dst.workload) === true
      const severity: Severity = sensitivePort || sensitiveService ? 'page' : (options.severity ?? 'ticket')
      const hours = (learnedFor / 3_600_000).toFixed(1)
      const why = [
        ...(sensitivePort ? [`port ${port} is a sensitive service`] : []),
        ...(sensitiveService ? [`${dst.name} is declared sensitive`] : []),
      ]
      const edge = `${src.key} → ${destination}`
      return [
        {
          finding_id: deriveEventId(id, { tenant: flow.tenant, edge }),
          tenant: flow.tenant,
          ts: flow.ts,
          rule: id,
          severity,
          title: `New service edge ${shortName(src.name)} → ${shortName(dst.name)}:${port}`,
          summary:
            `${src.name} connected to ${dst.name} on port ${port} for the first time at ` +
            `${new Date(flow.ts).toISOString()}; this edge is not among the ${plural(baselineSize, 'edge')} ` +
            `${src.name} was seen using over the previous ${hours} h` +
            (why.length > 0 ? ` and ${why.join(' and ')}.` : '.') +
            ' A workload reaching a peer it never used is how lateral movement starts.',
          entities: {
            src_identity: src.name,
            src_workload: src.key,
            dst_identity: dst.name,
            dst_port: String(port),
            ...pivotEntities('src', src),
            ...pivotEntities('dst', dst),
            service: flow.service,
          },
          evidence: {
            event_ids: [flow.event_id],
            edge: `${src.name} → ${formatTarget(dst.name, port)}`,
            first_seen: flow.ts,
            baseline_edges: baselineSize,
            baseline_since: state.learningSince,
            baseline_age_ms: learnedFor,
            learning_period_ms: learningPeriodMs,
            sensitive_port: sensitivePort,
            sensitive_service: sensitiveService,
            bytes: flow.bytes_sent + flow.bytes_received,
            ...(state.overflow > 0 ? { edges_not_remembered: state.overflow } : {}),
          },
        },
      ]
    },
  }
}
