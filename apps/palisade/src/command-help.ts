// The usage of each `palisade` command, printed by `palisade <command> --help` and `palisade help
// <command>`. Pure text: asking for help never starts, migrates or sends anything.

const standalone = (app: string, settings: string) =>
  `usage: palisade ${app}

Run the ${app} alone (distributed mode), configured by the environment:
  ${settings}
Every app also reads PALISADE_TOKEN (required) and PALISADE_TENANT (default "default").
SIGINT or SIGTERM stops it cleanly.`

/** Usage text per command. */
export const commandHelp: Readonly<Record<string, string>> = {
  start: `usage: palisade start

Run the all-in-one process on the embedded engine: collector, ingester, detectors, SLO evaluator,
alert router and dashboard in one process, with its data in PALISADE_DATA_DIR (default ./data).
Settings: PALISADE_COLLECTOR_PORT (4318), PALISADE_DASHBOARD_PORT (8080), PALISADE_TOKEN (default:
generated into <PALISADE_DATA_DIR>/token), PALISADE_ALERTS_DIR (default alerts/). Ctrl-C stops it.`,
  demo: `usage: palisade demo

Like "palisade start", then feed it a day of generated telemetry with injected incidents
(PALISADE_DEMO_SEED chooses the scenario).`,
  migrate: `usage: palisade migrate

Apply the sql/ migrations to CLICKHOUSE_URL, or to the embedded engine in PALISADE_DATA_DIR.
With CLICKHOUSE_CLUSTER, create them ON CLUSTER: replicated tables behind distributed ones.`,
  replay: `usage: palisade replay <format> <file...> [--fields "..."] [--option k=v] [--allow-rejects] [--url URL] [--token T]

Send files (plain or gzip) to a running collector (PALISADE_COLLECTOR_URL, default
http://127.0.0.1:4318; token: --token, PALISADE_TOKEN or <PALISADE_DATA_DIR>/token).
Exits 1 when anything was rejected, unless --allow-rejects.`,
  rules: `usage: palisade rules <test|lint> [--rule id-prefix] [--list]

  rules test [--rule id-prefix]   run every rule's inline tests (alerts/rules, or PALISADE_RULES_DIR)
  rules lint [--list]             check the rule files; --list prints the detector types rules can use`,
  intent: `usage: palisade intent check [dir]

Validate the declared intent (NetworkPolicy, CiliumNetworkPolicy, Istio PeerAuthentication /
AuthorizationPolicy, PalisadeIntent); dir defaults to PALISADE_INTENT_DIR or alerts/intent.`,
  findings: `usage: palisade findings export --out FILE [--from T] [--to T] [--severity S] [--rule ID] [--format ndjson|json]

Write findings from the API (PALISADE_API_URL, default http://127.0.0.1:8080) to a file.`,
  keys: `usage: palisade keys <list|create|rotate|revoke> [options]

  keys list                              every key of the tenant (a platform admin: of every tenant)
  keys create --role ROLE --name NAME    a new key (roles: viewer analyst responder admin ingest
                                         platform-admin), printed once and stored only as a hash
  keys rotate KEY_ID                     revoke a key and issue its replacement
  keys revoke KEY_ID                     the key stops working
Through the API (--url, PALISADE_API_URL, default http://127.0.0.1:8080) with an admin's token
(--token, PALISADE_TOKEN or <PALISADE_DATA_DIR>/token); --tenant T acts in tenant T (platform admin).`,
  audit: `usage: palisade audit verify

Recompute the audit trail's hash chain, read straight from the store (CLICKHOUSE_URL, or the embedded
engine in PALISADE_DATA_DIR with the process stopped). Exit 0 when every row links to the one before,
else exit 1 naming the first row that does not.`,
  help: `usage: palisade help [command]

Print the commands, or one command's usage.`,
  collector: standalone(
    'collector',
    'KAFKA_BROKERS, PALISADE_COLLECTOR_HOST (127.0.0.1), PALISADE_COLLECTOR_PORT (4318), PALISADE_MAX_*',
  ),
  ingester: standalone('ingester', 'KAFKA_BROKERS, CLICKHOUSE_URL, PALISADE_INGESTER_PORT (9101)'),
  detector: standalone('detector', 'KAFKA_BROKERS, CLICKHOUSE_URL, PALISADE_DETECTOR_PORT (9102)'),
  'alert-router': standalone(
    'alert-router',
    'KAFKA_BROKERS, CLICKHOUSE_URL, PALISADE_ALERT_ROUTER_PORT (9094), receiver settings (see README)',
  ),
  dashboard: standalone(
    'dashboard',
    'CLICKHOUSE_URL, PALISADE_DASHBOARD_HOST, PALISADE_DASHBOARD_PORT (8080)',
  ),
}

/** Pure: whether a command's arguments ask for its usage (`--help` or `-h` anywhere before `--`). */
function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false
    if (arg === '--help' || arg === '-h') return true
  }
  return false
}

/**
 * Pure: what `palisade <argv>` asks to be shown instead of run: a command's usage (its name),
 * the list of commands (`commands`: no command, `help`, `--help`), or nothing (undefined).
 */
export function helpAsked(argv: readonly string[]): string | undefined {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h') return 'commands'
  if (command === 'help') {
    const topic = asksForHelp(rest) ? 'help' : rest[0]
    return topic !== undefined && topic in commandHelp ? topic : 'commands'
  }
  return command in commandHelp && asksForHelp(rest) ? command : undefined
}
