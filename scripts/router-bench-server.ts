// Palisade's side of `npm run bench:router`'s side by side, in a process of its own as Alertmanager
// is in its own: the alert router with its ledger in the embedded ClickHouse engine, the Alertmanager
// API on a local port, notifying a webhook sink. The bench's load generator then costs neither
// system anything, and both RSS figures are one server process's.
//
// tsx scripts/router-bench-server.ts <data dir> <sink url> <group_wait ms> <group_interval ms> <token>
// Prints `listening <base url>` once it answers; SIGTERM stops it (router flushed, engine closed).

import { join } from 'node:path'
import {
  createAlertRouter,
  createApiSilences,
  createReceivers,
  mountAlertmanagerApi,
} from '@palisade/alert-router'
import { parseRoutingConfig } from '@palisade/alerting'
import {
  createNotificationLedger,
  createSilenceStore,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import {
  closeServer,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
} from '@palisade/http-server'
import { Registry } from 'prom-client'

const [dataDir, sinkUrl, groupWaitMs, groupIntervalMs, token] = process.argv.slice(2)
if (!dataDir || !sinkUrl || !groupWaitMs || !groupIntervalMs || !token) {
  console.error(
    'usage: router-bench-server.ts <data dir> <sink url> <group_wait ms> <group_interval ms> <token>',
  )
  process.exit(2)
}

const client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
await migrate(client, { dir: migrationsDir })
const routing = parseRoutingConfig(`
route:
  receiver: sink
  group_by: [alertname, service]
  group_wait: ${groupWaitMs}ms
  group_interval: ${groupIntervalMs}ms
  repeat_interval: 4h
receivers: [{ name: sink, webhook: {} }]
`)
const silences = createApiSilences(createSilenceStore(client))
await silences.load()
const router = createAlertRouter({
  routing,
  receivers: createReceivers([{ name: 'sink', kind: 'webhook', url: sinkUrl }]),
  ledger: createNotificationLedger(client),
  log: { info: () => {}, warn: () => {}, error: (message, error) => console.error(message, error) },
  metrics: new Registry(),
  tickIntervalMs: 100,
  muters: [silences],
})
await router.start()
const authenticator = createTokenAuthenticator({ acme: token })
const app = createServiceApp({ authenticator, metrics: new Registry(), ready: () => true })
mountAlertmanagerApi(app, { authenticator, router, silences, ready: () => true })
finishServiceApp(app, (error) => console.error(error))
const server = await listen(app, 0, '127.0.0.1')
const address = server.address()
if (address === null || typeof address === 'string') throw new Error('the bench server has no TCP address')
console.log(`listening http://127.0.0.1:${address.port}`)

process.once('SIGTERM', () => {
  void (async () => {
    await closeServer(server)
    await router.stop()
    await client.close()
    process.exit(0)
  })()
})
