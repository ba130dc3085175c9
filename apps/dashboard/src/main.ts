import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  clickHouseAnswers,
  createFindingStore,
  createSloRollupReader,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { loadDeclarations } from '@palisade/declarations'
import {
  closeServer,
  createMetricsRegistry,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
  reportDependencyUp,
} from '@palisade/http-server'
import { createConsoleLog, runService, startTraceExport } from '@palisade/runtime'
import { createSloStatusReader } from '@palisade/slo'
import { loadConfig } from './config.ts'
import { createDashboardRoutes } from './dashboard-app.ts'

// Composition root of the standalone dashboard: reads ClickHouse only (findings, rollups, the
// alert ledger); stateless apart from login sessions, so several can run behind a sticky balancer.
const log = createConsoleLog('dashboard')
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

// Spans go to OTLP only when the standard OTEL_* variables name an endpoint.
startTraceExport('palisade-dashboard', process.env)
await runService('dashboard', log, async () => {
  const config = loadConfig(process.env, repoRoot)
  const declarations = await loadDeclarations(config.declarationDirs)
  const registry = createMetricsRegistry({ app: 'dashboard' })
  const client = await openClickHouse(config.clickhouse)
  reportDependencyUp(registry, 'clickhouse', () => clickHouseAnswers(client))
  await migrate(client, { dir: migrationsDir })
  const authenticator = createTokenAuthenticator({ [config.tenant]: config.token })
  // SLO status is computed on request from the rollups; alerts are the detector's job, not ours.
  const slos = createSloStatusReader({ rollups: createSloRollupReader(client), slos: declarations.slos })
  const app = createServiceApp({ authenticator, metrics: registry, ready: () => true })
  app.use(
    createDashboardRoutes({
      authenticator,
      client,
      findings: createFindingStore(client),
      slos,
      dashboards: declarations.dashboards,
      metrics: registry,
    }),
  )
  finishServiceApp(app, (error) => log.error('request failed', error))
  const server = await listen(app, config.port, config.host, { portSetting: 'PALISADE_DASHBOARD_PORT' })
  const { port } = server.address() as AddressInfo
  return {
    banner: `dashboard on http://${config.host}:${port}`,
    async stop() {
      await closeServer(server)
      await client.close()
    },
  }
})
