import type { AddressInfo } from 'node:net'
import {
  createEventWriter,
  createFindingStore,
  createQuarantineWriter,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import {
  closeServer,
  createMetricsRegistry,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
} from '@palisade/http-server'
import { createKafkaBus } from '@palisade/kafka'
import { createConsoleLog, runService } from '@palisade/runtime'
import { loadConfig } from './config.ts'
import { subscribeIngester } from './ingester.ts'

// Composition root of the standalone ingester: Kafka in (consumer group `ingester`), ClickHouse
// out, offsets committed after each insert. Scale out by running more of it: Kafka spreads the
// partitions over the group.
const log = createConsoleLog('ingester')

await runService('ingester', log, async () => {
  const config = loadConfig(process.env)
  const registry = createMetricsRegistry({ app: 'ingester' })
  const client = await openClickHouse(config.clickhouse)
  await migrate(client, {
    dir: migrationsDir,
    onApplied: (migration) => log.info(`applied migration ${migration.name}`),
  })
  const bus = createKafkaBus({ brokers: config.brokers, clientId: 'palisade-ingester', registry, log })
  const subscription = await subscribeIngester(
    bus,
    {
      events: createEventWriter(client),
      quarantine: createQuarantineWriter(client),
      findings: createFindingStore(client),
    },
    registry,
  )
  const app = createServiceApp({
    authenticator: createTokenAuthenticator({ [config.tenant]: config.token }),
    metrics: registry,
    ready: () => bus.connected(),
  })
  finishServiceApp(app, (error) => log.error('request failed', error))
  const server = await listen(app, config.port, config.host)
  const { port } = server.address() as AddressInfo
  return {
    banner: `ingester consuming from ${config.brokers.join(',')} into ${config.clickhouse.kind === 'server' ? config.clickhouse.url : config.clickhouse.dataDir}; health and metrics on http://${config.host}:${port}`,
    async stop() {
      await closeServer(server)
      await subscription.close()
      await bus.close()
      await client.close()
    },
  }
})
