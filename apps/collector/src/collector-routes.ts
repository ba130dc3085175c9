import type { Bus } from '@palisade/bus'
import { formatParsers } from '@palisade/formats'
import { type Authenticator, requireToken } from '@palisade/http-server'
import type { Express } from 'express'
import type { Registry } from 'prom-client'
import { createAdmissionControl } from './admission-control.ts'
import { createCollectorMetrics } from './collector-metrics.ts'
import type { CollectorConfig } from './config.ts'
import { createIngestHandler } from './ingest-route.ts'

/** Mount the collector's routes on a service app (one made by `createServiceApp`). */
export function mountCollectorRoutes(
  app: Express,
  deps: {
    bus: Bus
    authenticator: Authenticator
    metrics: Registry
    config: CollectorConfig
    now?: () => number
  },
): void {
  const handler = createIngestHandler(
    {
      bus: deps.bus,
      limits: {
        maxBodyBytes: deps.config.maxBodyBytes,
        maxDecompressedBytes: deps.config.maxDecompressedBytes,
      },
      admission: createAdmissionControl({
        maxConcurrentRequests: deps.config.maxConcurrentRequests,
        maxBytesInFlight: deps.config.maxBytesInFlight,
        retryAfterSeconds: 1,
      }),
      metrics: createCollectorMetrics(deps.metrics),
      now: deps.now ?? Date.now,
    },
    formatParsers,
  )
  app.post('/v1/ingest/:format', requireToken(deps.authenticator), handler)
}
