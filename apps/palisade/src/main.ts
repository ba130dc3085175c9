import { fileURLToPath } from 'node:url'
import { ConfigInvalidError } from '@palisade/settings'
import { startAllInOne } from './all-in-one.ts'
import { loadConfig } from './config.ts'
import { startDemoFeed } from './demo.ts'
import { createConsoleLog } from './log.ts'

// The composition root of the `palisade` command: the only place that reads process.env.
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const log = createConsoleLog('palisade')

const usage = `usage: palisade <command>

commands:
  start    run the all-in-one process on the embedded engine (collector, detectors, alert router, dashboard)
  demo     start, then feed it a day of generated telemetry with injected incidents
`

async function runStart(withDemo: boolean): Promise<void> {
  const config = loadConfig(process.env, repoRoot)
  const running = await startAllInOne(config, log)
  const tokenHelp =
    running.tokenOrigin === 'env'
      ? 'the token is PALISADE_TOKEN'
      : `the token is in ${running.tokenPath} (cat it; set PALISADE_TOKEN to choose your own)`
  process.stdout.write(
    [
      '',
      'Palisade is running on the embedded engine.',
      `  collector  ${running.collectorUrl}   (POST /v1/ingest/{flow,auth,mtls,decision,policy_change})`,
      `  dashboard  ${running.dashboardUrl}`,
      `  data       ${config.dataDir}`,
      `Authenticate with "Authorization: Bearer <token>"; ${tokenHelp}.`,
      'Ctrl-C stops it cleanly.',
      '',
    ].join('\n'),
  )
  const demo = withDemo
    ? await startDemoFeed(
        {
          collectorUrl: running.collectorUrl,
          token: running.token,
          seed: Number(process.env.PALISADE_DEMO_SEED ?? 1),
        },
        log,
      )
    : undefined
  if (demo)
    process.stdout.write(`Demo feed running; open ${running.dashboardUrl} to watch the incidents arrive.\n`)
  let signalled = false
  const shutdown = (signal: string) => {
    if (signalled) return
    signalled = true
    log.info(`${signal}: finishing in-flight requests and stopping`)
    Promise.resolve(demo?.stop())
      .then(() => running.stop())
      .then(
        () => process.exit(0),
        (error) => {
          log.error('shutdown failed', error)
          process.exit(1)
        },
      )
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

const command = process.argv[2]
try {
  if (command === 'start' || command === 'demo') await runStart(command === 'demo')
  else {
    process.stderr.write(usage)
    process.exit(command === undefined || command === '--help' ? 0 : 2)
  }
} catch (error) {
  // Configuration errors list every problem; a stack trace would only hide them.
  if (error instanceof ConfigInvalidError || (error instanceof Error && 'problems' in error)) {
    process.stderr.write(`${error.message}\n`)
    process.exit(2)
  }
  log.error('palisade failed to start', error)
  process.exit(1)
}
