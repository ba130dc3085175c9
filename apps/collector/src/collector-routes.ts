import type { Bus } from '@palisade/bus'
import { createWorkloadDirectory, formatParsers, type WorkloadDirectory } from '@palisade/formats'
import { type Authenticator, allow, requireToken } from '@palisade/http-server'
import type { Express } from 'express'
import type { Registry } from 'prom-client'
import { createAdmissionControl } from './admission-control.ts'
import { createCollectorMetrics } from './collector-metrics.ts'
import type { CollectorConfig } from './config.ts'
import type { IngestOptions } from './ingest-body.ts'
import { createIngestHandler } from './ingest-route.ts'
import { createOpaDecisionLogRoute } from './opa-decision-log-route.ts'
import { loadOtlpProtobuf } from './otlp-protobuf.ts'
import { createOtlpRoute } from './otlp-routes.ts'

/** Mount the collector's routes on a service app (one made by `createServiceApp`). */
export function mountCollectorRoutes(
  app: Express,
  deps: {
    bus: Bus
    authenticator: Authenticator
    metrics: Registry
    config: CollectorConfig
    now?: () => number
    /** Told why events were not stored; the client only hears "retry". */
    onStoreFailure?: (error: unknown) => void
  },
): void {
  // One set of limits, one admission control and one set of metrics for every ingest route.
  const admission = createAdmissionControl({
    maxConcurrentRequests: deps.config.maxConcurrentRequests,
    maxBytesInFlight: deps.config.maxBytesInFlight,
    retryAfterSeconds: 1,
  })
  // One pod-IP join per tenant, shared by every route: Hubble's records teach what Envoy's lack.
  const workloadDirectories = new Map<string, WorkloadDirectory>()
  const workloadDirectory = (tenant: string): WorkloadDirectory => {
    let directory = workloadDirectories.get(tenant)
    if (directory === undefined) {
      directory = createWorkloadDirectory()
      workloadDirectories.set(tenant, directory)
    }
    return directory
  }
  const options: IngestOptions = {
    bus: deps.bus,
    limits: {
      maxBodyBytes: deps.config.maxBodyBytes,
      maxDecompressedBytes: deps.config.maxDecompressedBytes,
      bodyIdleTimeoutMs: deps.config.bodyIdleTimeoutMs,
      minBodyBytesPerSecond: deps.config.minBodyBytesPerSecond,
    },
    admission,
    metrics: createCollectorMetrics(deps.metrics, admission),
    now: deps.now ?? Date.now,
    retention: deps.config.retentionDays,
    onStoreFailure: deps.onStoreFailure,
    workloadDirectory,
  }
  const token = requireToken(deps.authenticator)
  app.post('/v1/ingest/:format', token, allow('ingest'), createIngestHandler(options, formatParsers))
  const otlp = { parsers: formatParsers, protobuf: loadOtlpProtobuf(), authenticator: deps.authenticator }
  app.post('/v1/logs', ...createOtlpRoute(options, 'logs', otlp))
  app.post('/v1/metrics', ...createOtlpRoute(options, 'metrics', otlp))
  const opa = formatParsers.get('opa-decision-log')
  if (!opa) throw new Error('the format registry has no "opa-decision-log" parser')
  // OPA's `decision_logs` service URL is `<collector>/v1/opa`; the agent appends `/logs`.
  app.post('/v1/opa/logs', token, allow('ingest'), createOpaDecisionLogRoute(options, opa))
}
