import { fileURLToPath } from 'node:url'
import { clickHouseAnswers, migrate, migrationsDir, openClickHouse } from '@palisade/clickhouse'
import { loadDeclarations } from '@palisade/declarations'
import {
  createMetricsRegistry,
  createTokenAuthenticator,
  reportDependencyUp,
  startHealthServer,
} from '@palisade/http-server'
import { createKafkaBus } from '@palisade/kafka'
import { createConsoleLog, runService, startTraceExport } from '@palisade/runtime'
import { loadConfig } from './config.ts'
import { startDetectorService } from './detector-service.ts'

// Composition root of the standalone detector: events from Kafka (group `detector`) through the
// detectors, findings and SLO burn-rate alerts back to Kafka. Detector state is per tenant: scale
// out by tenant, one group per shard (a later step).
const log = createConsoleLog('detector')
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

// Spans go to OTLP only when the standard OTEL_* variables name an endpoint.
startTraceExport('palisade-detector', process.env)
await runService('detector', log, async () => {
  const config = loadConfig(process.env, repoRoot)
  const declarations = await loadDeclarations(config.declarationDirs)
  const registry = createMetricsRegistry({ app: 'detector' })
  const client = await openClickHouse(config.clickhouse)
  await migrate(client, { dir: migrationsDir })
  const bus = createKafkaBus({ brokers: config.brokers, clientId: 'palisade-detector', registry, log })
  reportDependencyUp(registry, 'kafka', () => bus.connected())
  reportDependencyUp(registry, 'clickhouse', () => clickHouseAnswers(client))
  const detector = await startDetectorService({ bus, client, config, declarations, registry, log })
  const health = await startHealthServer({
    portSetting: 'PALISADE_DETECTOR_PORT',
    authenticator: createTokenAuthenticator({ [config.tenant]: config.token }),
    metrics: registry,
    ready: () => bus.connected(),
    host: config.host,
    port: config.port,
    onError: (error) => log.error('request failed', error),
  })
  return {
    banner: `detector consuming from ${config.brokers.join(',')}; health and metrics on ${health.url}`,
    async stop() {
      await health.close()
      await detector.stop()
      await bus.close()
      await client.close()
    },
  }
})
