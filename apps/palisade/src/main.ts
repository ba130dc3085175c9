import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  applyEventRetention,
  isClusterName,
  migrate,
  migrationsDir,
  openClickHouse,
  verifyAuditChain,
} from '@palisade/clickhouse'
import { checkIntentDirectory, loadDeclarations } from '@palisade/declarations'
import { PalisadeError } from '@palisade/errors'
import { formatParsers } from '@palisade/formats'
import { createConsoleLog, runService, startTraceExport } from '@palisade/runtime'
import {
  ConfigInvalidError,
  createEnvReader,
  readClickHouse,
  readDeclarationDirs,
  readRetention,
} from '@palisade/settings'
import { startAllInOne } from './all-in-one.ts'
import { auditVerdictReport, parseAuditArgs } from './audit-command.ts'
import { CliUsageError, parseReplayArgs } from './cli-args.ts'
import { commandHelp, helpAsked } from './command-help.ts'
import { loadConfig, loadReceivers } from './config.ts'
import { startDemoFeed } from './demo.ts'
import { exportFindings, parseFindingsExportArgs } from './findings-export.ts'
import { parseKeysArgs, runKeysCommand } from './keys-command.ts'
import { progressLine, replayFiles, summaryText } from './replay.ts'
import { parseRulesArgs, runRulesCommand } from './rules-command.ts'
import { parseRulesNoiseArgs, reportRuleNoise } from './rules-noise.ts'
import { parseSloArgs, runSloCommand } from './slo-command.ts'

// The composition root of the `palisade` command: the only place that reads process.env.
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const log = createConsoleLog('palisade')

const usage = `usage: palisade <command>

commands:
  start    run the all-in-one process on the embedded engine (collector, detectors, alert router, dashboard)
  demo     start, then feed it a day of generated telemetry with injected incidents
  collector | ingester | detector | alert-router | dashboard
           run one app alone (distributed mode: KAFKA_BROKERS, CLICKHOUSE_URL, PALISADE_TOKEN, ...)
  migrate  apply the sql/ migrations to CLICKHOUSE_URL (or the embedded engine in PALISADE_DATA_DIR)
  replay <format> <file...> [--fields "..."] [--option k=v] [--allow-rejects] [--url URL] [--token T]
           send files (plain or gzip) to a running collector (PALISADE_COLLECTOR_URL, default
           http://127.0.0.1:4318; token: --token, PALISADE_TOKEN or <PALISADE_DATA_DIR>/token);
           exits 1 when anything was rejected, unless --allow-rejects
  rules test [--rule id-prefix]   run every rule's inline tests (alerts/rules, or PALISADE_RULES_DIR)
  rules lint [--list]             check the rule files (unknown fields, bad windows, missing tests);
                                  --list prints the detector types rules can use
  rules noise [--from now-7d] [--to T] [--rule id-prefix] [--top 3]
           findings per rule per day from the API (PALISADE_API_URL), busiest hour and top keys
  slo lint [--dir alerts/slos]    check the OpenSLO files (every kind, references across files):
                                  each problem as file:line: what, exit 1
  intent check [dir]              validate the declared intent (NetworkPolicy, CiliumNetworkPolicy,
                                  Istio PeerAuthentication/AuthorizationPolicy, PalisadeIntent)
  keys list | create --role R --name N | rotate ID | revoke ID  [--tenant T]
           manage API keys through the API (PALISADE_API_URL, default http://127.0.0.1:8080)
  audit verify                    recompute the audit trail's hash chain in the store (CLICKHOUSE_URL or
                                  PALISADE_DATA_DIR, with the process stopped); exit 1 naming the first bad row
  findings export --out FILE [--from T] [--to T] [--severity S] [--rule ID] [--format ndjson|json]
           write findings from the API (PALISADE_API_URL, default http://127.0.0.1:8080) to a file

formats: ${[...formatParsers.keys()].join(', ')}
`

function runStart(withDemo: boolean): Promise<void> {
  // Spans go to OTLP only when the standard OTEL_* variables name an endpoint.
  startTraceExport('palisade', process.env)
  return runService('palisade', log, async () => {
    const config = loadConfig(process.env, repoRoot)
    const declarations = await loadDeclarations(config.declarationDirs)
    const receivers = loadReceivers(process.env, declarations.routing)
    const running = await startAllInOne(config, { declarations, receivers }, log)
    const demo = withDemo
      ? await startDemoFeed(
          { collectorUrl: running.collectorUrl, token: running.token, seed: config.demoSeed },
          log,
        )
      : undefined
    const tokenHelp =
      running.tokenOrigin === 'env'
        ? 'the token is PALISADE_TOKEN'
        : `the token is in ${running.tokenPath} (cat it; set PALISADE_TOKEN to choose your own)`
    return {
      banner: [
        '',
        'Palisade is running on the embedded engine.',
        `  collector  ${running.collectorUrl}   (POST /v1/ingest/<kind|format>, OTLP /v1/logs /v1/metrics, OPA /v1/opa/logs)`,
        `  dashboard  ${running.dashboardUrl}`,
        `  data       ${config.dataDir}`,
        `Authenticate with "Authorization: Bearer <token>"; ${tokenHelp}.`,
        demo
          ? `Demo feed running: eight hours of history go out first; open ${running.dashboardUrl} to watch the incidents arrive.`
          : '',
        'Ctrl-C stops it cleanly.',
      ].join('\n'),
      async stop() {
        await demo?.stop()
        await running.stop()
      },
    }
  })
}

/** The API token: `--token`, else PALISADE_TOKEN, else the all-in-one's `<PALISADE_DATA_DIR>/token`. */
function resolveToken(fromArgs: string | undefined): string {
  const read = createEnvReader(process.env)
  const token = fromArgs ?? read.optionalString('PALISADE_TOKEN')
  const dataDir = resolve(read.string('PALISADE_DATA_DIR', './data'))
  read.done()
  if (token) return token
  try {
    return readFileSync(join(dataDir, 'token'), 'utf8').trim()
  } catch {
    throw new ConfigInvalidError([
      `no token: pass --token, set PALISADE_TOKEN, or run from where ${join(dataDir, 'token')} exists`,
    ])
  }
}

async function runRules(argv: string[]): Promise<void> {
  if (argv[0] === 'noise') {
    const args = parseRulesNoiseArgs(argv.slice(1))
    const read = createEnvReader(process.env)
    const apiUrl = (args.url ?? read.url('PALISADE_API_URL') ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
    read.done()
    process.stdout.write(`${await reportRuleNoise({ apiUrl, token: resolveToken(args.token), args })}\n`)
    return
  }
  const read = createEnvReader(process.env)
  const { rulesDir } = readDeclarationDirs(read, repoRoot)
  read.done()
  const args = parseRulesArgs(argv, rulesDir)
  const outcome = await runRulesCommand(args)
  process.stdout.write(`${outcome.output}\n`)
  process.exitCode = outcome.exitCode
}

async function runSlo(argv: string[]): Promise<void> {
  const read = createEnvReader(process.env)
  const { alertsDir } = readDeclarationDirs(read, repoRoot)
  read.done()
  const outcome = await runSloCommand(parseSloArgs(argv, join(alertsDir, 'slos')))
  process.stdout.write(`${outcome.output}\n`)
  process.exitCode = outcome.exitCode
}

async function runIntent(argv: string[]): Promise<void> {
  const [action, dir, ...rest] = argv
  if (action !== 'check' || rest.length > 0) throw new CliUsageError('usage: palisade intent check [dir]')
  const read = createEnvReader(process.env)
  const { intentDir } = readDeclarationDirs(read, repoRoot)
  read.done()
  const target = resolve(dir ?? intentDir)
  const { report, ok } = await checkIntentDirectory(target)
  process.stdout.write(`${report}\n`)
  process.exitCode = ok ? 0 : 1
}

async function runFindings(argv: string[]): Promise<void> {
  const args = parseFindingsExportArgs(argv)
  const read = createEnvReader(process.env)
  const apiUrl = (args.url ?? read.url('PALISADE_API_URL') ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
  read.done()
  const count = await exportFindings({ apiUrl, token: resolveToken(args.token), args })
  process.stdout.write(`${count} finding(s) written to ${args.out}\n`)
}

async function runKeys(argv: string[]): Promise<void> {
  const args = parseKeysArgs(argv)
  const read = createEnvReader(process.env)
  const apiUrl = (args.url ?? read.url('PALISADE_API_URL') ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
  read.done()
  process.stdout.write(`${await runKeysCommand({ apiUrl, token: resolveToken(args.token), args })}\n`)
}

async function runAudit(argv: string[]): Promise<void> {
  parseAuditArgs(argv)
  const read = createEnvReader(process.env)
  const target = readClickHouse(read)
  read.done()
  // Straight from the store, not through the API: the check must not trust the server it checks.
  const client = await openClickHouse(target)
  try {
    const report = auditVerdictReport(await verifyAuditChain(client))
    process.stdout.write(`${report.output}\n`)
    process.exitCode = report.exitCode
  } finally {
    await client.close()
  }
}

async function runReplay(argv: string[]): Promise<void> {
  const args = parseReplayArgs(argv)
  const parser = formatParsers.get(args.format)
  if (!parser)
    throw new ConfigInvalidError([
      `unknown format "${args.format}"; formats: ${[...formatParsers.keys()].join(', ')}`,
    ])
  const token = resolveToken(args.token)
  const read = createEnvReader(process.env)
  const collectorUrl = args.url ?? read.url('PALISADE_COLLECTOR_URL') ?? 'http://127.0.0.1:4318'
  read.done()
  const interactive = process.stderr.isTTY
  const summary = await replayFiles({
    collectorUrl: collectorUrl.replace(/\/$/, ''),
    token,
    parser,
    files: args.files,
    formatOptions: args.formatOptions,
    onProgress: (progress) => {
      if (interactive) process.stderr.write(`\r${progressLine(progress)}`)
    },
  })
  if (interactive) process.stderr.write('\n')
  process.stdout.write(`${summaryText(summary)}\n`)
  if (summary.rejected > 0 && !args.allowRejects) {
    process.stderr.write(
      'some records were rejected (they are in quarantine); pass --allow-rejects to exit 0 anyway\n',
    )
    process.exit(1)
  }
}

/** The standalone apps, by command: each is its own composition root. */
const apps: Record<string, () => Promise<unknown>> = {
  collector: () => import('@palisade/collector/main'),
  ingester: () => import('@palisade/ingester/main'),
  detector: () => import('@palisade/detector/main'),
  'alert-router': () => import('@palisade/alert-router/main'),
  dashboard: () => import('@palisade/dashboard/main'),
}

async function runMigrate(): Promise<void> {
  const read = createEnvReader(process.env)
  const target = readClickHouse(read)
  const cluster = read.optionalString('CLICKHOUSE_CLUSTER')
  const retention = readRetention(read)
  read.done()
  if (cluster !== undefined && !isClusterName(cluster)) {
    throw new ConfigInvalidError([
      `CLICKHOUSE_CLUSTER: "${cluster}" is not a cluster name (letters, digits, _)`,
    ])
  }
  if (cluster !== undefined && target.kind === 'embedded') {
    throw new ConfigInvalidError(['CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL (a server of the cluster)'])
  }
  const client = await openClickHouse(target)
  try {
    // On a cluster: replicated local tables behind distributed ones, created ON CLUSTER from this node.
    const applied = await migrate(client, {
      dir: migrationsDir,
      cluster,
      onApplied: (m) => log.info(`applied migration ${m.name}${cluster ? ` on cluster ${cluster}` : ''}`),
    })
    const retained = await applyEventRetention(client, retention, { cluster })
    process.stdout.write(
      `${applied.length} migration(s) applied; schema is up to date; retention set on ${retained.length} table(s)\n`,
    )
  } finally {
    await client.close()
  }
}

const command = process.argv[2]
const help = helpAsked(process.argv.slice(2))
if (help !== undefined) {
  process.stdout.write(help === 'commands' ? usage : `${commandHelp[help]}\n`)
  process.exit(0)
}
try {
  if (command === 'start' || command === 'demo') await runStart(command === 'demo')
  else if (command === 'replay') await runReplay(process.argv.slice(3))
  else if (command === 'migrate') await runMigrate()
  else if (command === 'rules') await runRules(process.argv.slice(3))
  else if (command === 'slo') await runSlo(process.argv.slice(3))
  else if (command === 'intent') await runIntent(process.argv.slice(3))
  else if (command === 'findings') await runFindings(process.argv.slice(3))
  else if (command === 'keys') await runKeys(process.argv.slice(3))
  else if (command === 'audit') await runAudit(process.argv.slice(3))
  else if (command !== undefined && command in apps) await apps[command]!()
  else {
    process.stderr.write(`palisade: unknown command "${command}"; "palisade help" lists the commands\n`)
    process.exit(2)
  }
} catch (error) {
  // Configuration errors list every problem; a stack trace would only hide them.
  if (error instanceof CliUsageError) {
    process.stderr.write(
      `palisade ${command}: ${error.message} ("palisade ${command} --help" shows the usage)\n`,
    )
    process.exit(2)
  }
  // A Palisade error a retry cannot help (invalid configuration or declarations, a refused
  // argument) is the user's to fix: its message says what, and a stack trace would only hide it.
  if (error instanceof PalisadeError && !error.retriable) {
    process.stderr.write(`${error.message}\n`)
    process.exit(2)
  }
  log.error(`palisade ${command ?? ''} failed`, error)
  process.exit(1)
}
