import { createRequire } from 'node:module'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'

// prom-client names three gauges `..._total`, which Prometheus reserves for counters (promtool
// flags them). The same measures remain in `nodejs_active_resources{type}`.
const misnamedGauges = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]

/**
 * A Prometheus registry for one process, with the Node.js runtime metrics and a `palisade_`
 * prefix. Apps register their own counters on it; `/metrics` renders it.
 */
export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry()
  registry.setDefaultLabels(labels)
  collectDefaultMetrics({ register: registry, prefix: 'palisade_' })
  for (const name of misnamedGauges) registry.removeSingleMetric(`palisade_${name}`)
  // Packages are versioned together: this package's version is Palisade's.
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string }
  new Gauge({
    name: 'palisade_build_info',
    help: 'Always 1; the labels say which Palisade and which Node.js run here',
    labelNames: ['version', 'nodejs'] as const,
    registers: [registry],
  }).set({ version, nodejs: process.version }, 1)
  return registry
}
