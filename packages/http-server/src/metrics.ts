import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * A Prometheus registry for one process, with the Node.js runtime metrics and a `palisade_`
 * prefix. Apps register their own counters on it; `/metrics` renders it.
 */
export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry()
  registry.setDefaultLabels(labels)
  collectDefaultMetrics({ register: registry, prefix: 'palisade_' })
  return registry
}
