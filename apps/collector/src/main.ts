import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createApiKeyStore, openClickHouse } from '@palisade/clickhouse'
import { loadDeclarations } from '@palisade/declarations'
import {
  type ApiKeyRecord,
  closeServer,
  createApiKeyAuthenticator,
  createApiKeyCache,
  createMetricsRegistry,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  isRole,
  listen,
  reportDependencyUp,
} from '@palisade/http-server'
import { createKafkaBus } from '@palisade/kafka'
import { createConsoleLog, runService, startTraceExport } from '@palisade/runtime'
import { mountCollectorRoutes } from './collector-routes.ts'
import { loadConfig } from './config.ts'

// Composition root of the standalone collector (distributed mode): HTTP in, Kafka out. A request is
// answered only after the brokers acknowledged its records.
const log = createConsoleLog('collector')
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

// Spans go to OTLP only when the standard OTEL_* variables name an endpoint.
startTraceExport('palisade-collector', process.env)
await runService('collector', log, async () => {
  const config = loadConfig(process.env, repoRoot)
  // Validated, not used: a broken declaration stops every app, so a rollout fails at its first process.
  await loadDeclarations(config.declarationDirs)
  const registry = createMetricsRegistry({ app: 'collector' })
  const bootstrap = createTokenAuthenticator({ [config.tenant]: config.token })
  // Every tenant's ingest keys, read from the store the dashboard manages them in (when configured).
  const store = config.keysFrom ? await openClickHouse(config.keysFrom) : undefined
  const keyTable = store ? createApiKeyStore(store) : undefined
  const keys = keyTable
    ? await createApiKeyCache({
        load: async () => (await keyTable.all()).filter((key): key is ApiKeyRecord => isRole(key.role)),
        onError: (error) => log.error('API keys not (re)loaded; the last known keys stay in force', error),
        startWithoutKeys: true,
      })
    : undefined
  const authenticator = keys ? createApiKeyAuthenticator(keys, bootstrap) : bootstrap
  const bus = createKafkaBus({ brokers: config.brokers, clientId: 'palisade-collector', registry, log })
  reportDependencyUp(registry, 'kafka', () => bus.connected())
  const app = createServiceApp({ authenticator, metrics: registry, ready: () => bus.connected() })
  mountCollectorRoutes(app, {
    bus,
    authenticator,
    metrics: registry,
    config: config.collector,
    onStoreFailure: (error) => log.error('events not stored', error),
  })
  finishServiceApp(app, (error) => log.error('request failed', error))
  const server = await listen(app, config.collector.port, config.collector.host, {
    headersTimeoutMs: config.collector.headersTimeoutMs,
    portSetting: 'PALISADE_COLLECTOR_PORT',
  })
  const { port } = server.address() as AddressInfo
  return {
    banner: `collector listening on http://${config.collector.host}:${port} (Kafka: ${config.brokers.join(',')})`,
    async stop() {
      await closeServer(server)
      keys?.stop()
      await bus.close()
      await store?.close()
    },
  }
})
