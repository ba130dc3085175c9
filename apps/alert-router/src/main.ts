import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  clickHouseAnswers,
  createApiKeyStore,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
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
import { startAlertRouterService } from './alert-router-service.ts'
import { mountAlertmanagerApi } from './alertmanager-api.ts'
import { loadConfig, loadReceivers } from './config.ts'

// Composition root of the standalone alert router: findings and alerts from Kafka (group
// `alert-router`), notifications out, the ledger in ClickHouse. Run one per cluster: the ledger
// and group timers are its state.
const log = createConsoleLog('alert-router')
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

// Spans go to OTLP only when the standard OTEL_* variables name an endpoint.
startTraceExport('palisade-alert-router', process.env)
await runService('alert-router', log, async () => {
  const config = loadConfig(process.env, repoRoot)
  const declarations = await loadDeclarations(config.declarationDirs)
  const receivers = loadReceivers(process.env, declarations.routing)
  const registry = createMetricsRegistry({ app: 'alert-router' })
  const client = await openClickHouse(config.clickhouse)
  await migrate(client, { dir: migrationsDir })
  const bus = createKafkaBus({ brokers: config.brokers, clientId: 'palisade-alert-router', registry, log })
  reportDependencyUp(registry, 'kafka', () => bus.connected())
  reportDependencyUp(registry, 'clickhouse', () => clickHouseAnswers(client))
  const service = await startAlertRouterService({
    bus,
    client,
    routing: declarations.routing,
    config: receivers,
    registry,
    log,
    heartbeatTenant: config.tenant,
    peer: config.peer,
  })
  // Health, metrics and the Alertmanager API v2 (Prometheus and amtool point here) on one port.
  // API keys are read from the store (managed on the dashboard); PALISADE_TOKEN stays an admin.
  const keyTable = createApiKeyStore(client)
  const keys = await createApiKeyCache({
    load: async () => (await keyTable.all()).filter((key): key is ApiKeyRecord => isRole(key.role)),
    onError: (error) => log.error('API keys not reloaded; the last known keys stay in force', error),
  })
  const authenticator = createApiKeyAuthenticator(
    keys,
    createTokenAuthenticator({ [config.tenant]: config.token }),
  )
  const ready = () => bus.connected()
  const app = createServiceApp({ authenticator, metrics: registry, ready })
  mountAlertmanagerApi(app, { authenticator, router: service.router, silences: service.silences, ready })
  finishServiceApp(app, (error) => log.error('request failed', error))
  const server = await listen(app, config.port, config.host, { portSetting: 'PALISADE_ALERT_ROUTER_PORT' })
  const url = `http://${config.host}:${(server.address() as AddressInfo).port}`
  return {
    banner: `alert router consuming from ${config.brokers.join(',')}; health, metrics and the Alertmanager API on ${url}`,
    async stop() {
      await closeServer(server)
      keys.stop()
      await service.stop()
      await bus.close()
      await client.close()
    },
  }
})
