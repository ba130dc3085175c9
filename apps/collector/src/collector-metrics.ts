import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { AdmissionControl } from './admission-control.ts'

/** The collector's Prometheus metrics; labels are bounded (kind and status only, never tenant). */
export function createCollectorMetrics(registry: Registry, admission: AdmissionControl) {
  new Gauge({
    name: 'palisade_collector_requests_in_flight',
    help: 'Ingest requests admitted and not yet answered',
    registers: [registry],
    collect() {
      this.set(admission.inFlight().requests)
    },
  })
  new Gauge({
    name: 'palisade_collector_bytes_in_flight',
    help: 'Body bytes held by admitted requests, as received plus once inflated, bytes',
    registers: [registry],
    collect() {
      this.set(admission.inFlight().bytes)
    },
  })
  return {
    requests: new Counter({
      name: 'palisade_collector_requests_total',
      help: 'Ingest requests by event kind and HTTP status',
      labelNames: ['kind', 'status'] as const,
      registers: [registry],
    }),
    records: new Counter({
      name: 'palisade_collector_records_total',
      help: 'Records received by event kind and outcome (accepted, rejected); duplicates are found at the store: palisade_ingester_rows_total',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'palisade_collector_request_duration_seconds',
      help: 'Ingest request duration from first byte to answer, seconds',
      labelNames: ['kind'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  }
}

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>
