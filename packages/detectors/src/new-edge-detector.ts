import { type AnyEvent, deriveEventId, type FlowEvent, partitionKey, type Severity } from '@palisade/schema'
import type { DetectedFinding, Detector } from './detector.ts'

/** Settings of the new-edge detector. */
export interface NewEdgeOptions {
  /** Event time spent learning the normal edges before reporting new ones, ms (default 1 h). */
  learningPeriodMs?: number
  /** Severity of a new edge (default `ticket`: worth a look, not a page on its own). */
  severity?: Severity
  /** Destination ports whose new edges page (default 22, 3389, 5432, 3306, 6379, 27017, 9200). */
  sensitivePorts?: number[]
}

/** What the detector remembers per source workload (its key). */
export interface NewEdgeState {
  /** Event time of the source's first flow, ms: its learning period starts here. */
  learningSince: number | null
  /** The source's known destinations (`identity:port`) → event time first seen, ms. */
  edges: Record<string, number>
}

function endpoint(identity: string | undefined, ip: string | undefined): string | undefined {
  return identity ?? ip
}

/** The workload part of a SPIFFE ID (`spiffe://td/ns/shop/sa/web` → `web`), for titles. */
function shortName(endpoint: string): string {
  return endpoint.startsWith('spiffe://') ? (endpoint.split('/').pop() ?? endpoint) : endpoint
}

/**
 * Lateral movement, first signal: a service-to-service edge (source identity → destination
 * identity:port) never seen before, once the learning period is over. Only allowed flows build
 * the baseline and raise findings: a dropped attempt is a scan's signal, not an edge. State is kept
 * per source workload (the flow's partition key), so detectors scale out with partitions; the
 * price is that a workload seen for the first time learns its own edges for a learning period
 * (a brand-new identity is another detector's signal).
 */
export function newEdgeDetector(options: NewEdgeOptions = {}): Detector<NewEdgeState> {
  const learningPeriodMs = options.learningPeriodMs ?? 60 * 60 * 1000
  const sensitivePorts = new Set(options.sensitivePorts ?? [22, 3389, 5432, 3306, 6379, 27017, 9200])
  const id = 'lateral.new_edge'
  return {
    id,
    kinds: ['flow'],
    keyOf: (event) => partitionKey('flow', event as FlowEvent),
    initialState: () => ({ learningSince: null, edges: {} }),
    step(state, event: AnyEvent): DetectedFinding[] {
      const flow = event as FlowEvent
      if (flow.verdict !== 'allowed') return []
      const src = endpoint(flow.src_identity, flow.src_ip)
      const dst = endpoint(flow.dst_identity, flow.dst_ip)
      if (!src || !dst) return []
      const key = `${src} → ${dst}:${flow.dst_port}`
      const destination = `${dst}:${flow.dst_port}`
      if (state.learningSince === null || flow.ts < state.learningSince) state.learningSince = flow.ts
      if (destination in state.edges) {
        // Out-of-order delivery: keep the earliest time the edge was seen.
        if (flow.ts < state.edges[destination]!) state.edges[destination] = flow.ts
        return []
      }
      const baselineSize = Object.keys(state.edges).length
      state.edges[destination] = flow.ts
      const learnedFor = flow.ts - state.learningSince
      if (learnedFor < learningPeriodMs) return []
      const severity: Severity = sensitivePorts.has(flow.dst_port) ? 'page' : (options.severity ?? 'ticket')
      const hours = (learnedFor / 3_600_000).toFixed(1)
      return [
        {
          finding_id: deriveEventId(id, { tenant: flow.tenant, edge: key }),
          tenant: flow.tenant,
          ts: flow.ts,
          rule: id,
          severity,
          title: `New service edge ${shortName(src)} → ${shortName(dst)}:${flow.dst_port}`,
          summary:
            `${src} connected to ${dst} on port ${flow.dst_port} for the first time at ` +
            `${new Date(flow.ts).toISOString()}; this edge is not among the ${baselineSize} edges ` +
            `${src} was seen using over the previous ${hours} h` +
            (severity === 'page' ? ` and port ${flow.dst_port} is a sensitive service.` : '.'),
          entities: {
            src_identity: src,
            dst_identity: dst,
            dst_port: String(flow.dst_port),
            service: flow.service,
          },
          evidence: {
            event_ids: [flow.event_id],
            edge: key,
            first_seen: flow.ts,
            baseline_edges: baselineSize,
            baseline_since: state.learningSince,
            baseline_age_ms: learnedFor,
            bytes: flow.bytes_sent + flow.bytes_received,
          },
        },
      ]
    },
  }
}
