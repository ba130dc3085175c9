import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  clickHouseAnswers,
  createApiKeyStore,
  createAuditLog,
  createFindingStore,
  createSessionTable,
  createSloRollupReader,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { loadDeclarations } from '@palisade/declarations'
import {
  closeServer,
  createApiKeyAuthenticator,
  createKeyAdmin,
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
import { createOidcSignIn } from './oidc-sign-in.ts'
import { createSessionStore } from './session-store.ts'

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
  // The dashboard is where keys are managed and the audit trail is written in distributed mode.
  const audit = createAuditLog(client)
  const keys = await createKeyAdmin({
    table: createApiKeyStore(client),
    audit,
    onError: (error) => log.error('API keys not reloaded; the last known keys stay in force', error),
  })
  // Sessions are kept in the store: a restart signs nobody out.
  const sessionTable = createSessionTable(client)
  const sessions = createSessionStore({
    persistence: sessionTable,
    restored: await sessionTable.live(Date.now()),
    onPersistError: (error) => log.error('a dashboard session was not persisted', error),
  })
  const authenticator = createApiKeyAuthenticator(
    keys.keys,
    createTokenAuthenticator({ [config.tenant]: config.token }, 'platform-admin'),
  )
  // SLO status is computed on request from the rollups; alerts are the detector's job, not ours.
  const slos = createSloStatusReader({
    rollups: createSloRollupReader(client, { declaredEgress: declarations.intent.declaredEgressRanges() }),
    slos: declarations.slos,
  })
  const app = createServiceApp({ authenticator, metrics: registry, ready: () => true, audit })
  app.use(
    createDashboardRoutes({
      authenticator,
      client,
      findings: createFindingStore(client),
      slos,
      dashboards: declarations.dashboards,
      metrics: registry,
      intent: declarations.intent,
      keys,
      audit,
      sessions,
      oidc: config.oidc ? createOidcSignIn(config.oidc) : undefined,
    }),
  )
  finishServiceApp(app, (error) => log.error('request failed', error))
  const server = await listen(app, config.port, config.host, { portSetting: 'PALISADE_DASHBOARD_PORT' })
  const { port } = server.address() as AddressInfo
  return {
    banner: `dashboard on http://${config.host}:${port}`,
    async stop() {
      await closeServer(server)
      keys.stop()
      await sessions.settled()
      await client.close()
    },
  }
})
