import { z } from 'zod'
import { newEdgeDetector } from '../new-edge-detector.ts'
import { defineDetectorType } from '../rules/detector-type.ts'
import { duration } from '../rules/duration.ts'

/**
 * `new_edge`: an internal source workload → destination:port edge never seen after a learning
 * period. Keyed by the flow's partition key (the source). Pages (whatever the rule's severity) when
 * the port is in `sensitive_ports` or intent declares the destination sensitive.
 */
export const newEdgeType = defineDetectorType({
  name: 'new_edge',
  description:
    'A service edge (source workload → destination:port) never seen before, after a learning period',
  params: z.strictObject({
    /** Per source, from its first flow (default 1h). */
    learning_period: duration.default(60 * 60 * 1000),
    /** Ports whose new edges page (default 22, 3389, 5432, 3306, 6379, 27017, 9200). */
    sensitive_ports: z.array(z.number().int().min(1).max(65535)).optional(),
    /** Most edges remembered per source (default 2,000); past it, new edges are counted, not reported. */
    max_edges_per_source: z.number().int().min(1).max(100_000).default(2000),
  }),
  create: ({ id, severity, params, intent }) =>
    newEdgeDetector({
      id,
      severity,
      intent,
      learningPeriodMs: params.learning_period,
      maxEdgesPerSource: params.max_edges_per_source,
      ...(params.sensitive_ports ? { sensitivePorts: params.sensitive_ports } : {}),
    }),
})
