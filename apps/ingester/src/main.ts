import { fileURLToPath } from 'node:url'
import {
  applyEventRetention,
  clickHouseAnswers,
  createEventWriter,
  createFindingStore,
  createQuarantineWriter,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
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
import { subscribeIngester } from './ingester.ts'

// Composition root of the standalone ingester: Kafka in (consumer group `ingester`), ClickHouse
// out, offsets committed after each insert. Scale out by running more of it: Kafka spreads the
// partitions over the group.
const log = createConsoleLog('ingester')
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

// Spans go to OTLP only when the standard OTEL_* variables name an endpoint.
startTraceExport('palisade-ingester', process.env)
await runService('ingester', log, async () => {
  const config = loadConfig(process.env, repoRoot)
  // Validated, not used: a broken declaration stops every app, so a rollout fails at its first process.
  await loadDeclarations(config.declarationDirs)
  const registry = createMetricsRegistry({ app: 'ingester' })
  const client = await openClickHouse(config.clickhouse)
  await migrate(client, {
    dir: migrationsDir,
    onApplied: (migration) => log.info(`applied migration ${migration.name}`),
  })
  for (const table of await applyEventRetention(client, config.retentionDays)) {
    log.info(`retention of ${table} set from PALISADE_RETENTION_DAYS_*`)
  }
  const bus = createKafkaBus({ brokers: config.brokers, clientId: 'palisade-ingester', registry, log })
  reportDependencyUp(registry, 'kafka', () => bus.connected())
  reportDependencyUp(registry, 'clickhouse', () => clickHouseAnswers(client))
  const subscription = await subscribeIngester(
    bus,
    {
      events: createEventWriter(client),
      quarantine: createQuarantineWriter(client),
      findings: createFindingStore(client),
    },
    registry,
    config.retentionDays,
  )
  const health = await startHealthServer({
    portSetting: 'PALISADE_INGESTER_PORT',
    authenticator: createTokenAuthenticator({ [config.tenant]: config.token }),
    metrics: registry,
    ready: () => bus.connected(),
    host: config.host,
    port: config.port,
    onError: (error) => log.error('request failed', error),
  })
  return {
    banner: `ingester consuming from ${config.brokers.join(',')} into ${config.clickhouse.kind === 'server' ? config.clickhouse.url : config.clickhouse.dataDir}; health and metrics on ${health.url}`,
    async stop() {
      await health.close()
      await subscription.close()
      await bus.close()
      await client.close()
    },
  }
})
