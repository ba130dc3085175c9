import type { AddressInfo } from 'node:net'
import type { Bus } from '@palisade/bus'
import {
  closeServer,
  createMetricsRegistry,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
} from '@palisade/http-server'
import { defaultRetentionDays } from '@palisade/schema'
import type { Registry } from 'prom-client'
import { mountCollectorRoutes } from '../collector-routes.ts'
import type { CollectorConfig } from '../config.ts'

/** A collector served for a test: its URL and how to stop it. */
export interface CollectorServer {
  url: string
  port: number
  /** The registry its routes count on. */
  metrics: Registry
  close(): Promise<void>
}

/**
 * The collector's routes over `bus` on a real HTTP server (loopback, free port), tenant `acme`
 * authenticated by `token`; `limits` replace the test defaults (1 MiB bodies, 4 requests at once,
 * the store's default retention).
 */
export async function serveCollector(
  bus: Bus,
  token: string,
  limits: Partial<Omit<CollectorConfig, 'host' | 'port'>> = {},
  ready: () => boolean = () => true,
): Promise<CollectorServer> {
  const authenticator = createTokenAuthenticator({ acme: token })
  const metrics = createMetricsRegistry()
  const app = createServiceApp({ authenticator, metrics, ready })
  const maxBodyBytes = limits.maxBodyBytes ?? 1024 * 1024
  mountCollectorRoutes(app, {
    bus,
    authenticator,
    metrics,
    config: {
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes,
      maxDecompressedBytes: 4 * maxBodyBytes,
      maxConcurrentRequests: 4,
      maxBytesInFlight: 16 * maxBodyBytes,
      retentionDays: defaultRetentionDays,
      headersTimeoutMs: 10_000,
      bodyIdleTimeoutMs: 10_000,
      minBodyBytesPerSecond: 4096,
      ...limits,
    },
  })
  finishServiceApp(app, () => {})
  const server = await listen(app, 0, '127.0.0.1', { headersTimeoutMs: limits.headersTimeoutMs })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    metrics,
    async close() {
      await closeServer(server)
      // A test may leave a client stalled mid-request on purpose: do not wait for it.
      server.closeAllConnections()
    },
  }
}
