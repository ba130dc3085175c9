import { MigrationFailedError } from './errors.ts'

/**
 * The migrations rewritten for a ClickHouse cluster (`CLICKHOUSE_CLUSTER`): every table becomes a
 * replicated `<name>_local` on each shard (`ON CLUSTER`) and a `Distributed` table under its own
 * name, sharded by tenant and the table's key, so that every query and insert above the store reads
 * and writes the names it always did. Materialized views run on each shard, from the local raw
 * table into the local rollup: a rollup row then counts one shard's events, and every panel sums
 * rollup rows, so the shards add up. Backfills (`INSERT … SELECT`) run through the distributed
 * tables, once, from the node that migrates.
 *
 * The rewrite knows the shapes our migrations use (CREATE TABLE … ENGINE, CREATE MATERIALIZED VIEW
 * … TO … AS SELECT, ALTER TABLE, INSERT … SELECT) and refuses any other statement, so a new shape
 * fails in the tests that parse every generated statement, not on a production cluster.
 */

/** Shard key of each table: tenant and the column that keeps what must stay together on one shard. */
export const clusterShardKeys: Readonly<Record<string, string>> = {
  // A service's events on one shard: the views there count its rollup rows whole (fewer rows to
  // merge across shards), and an event sent again lands where it was stored, so the replicated
  // table's deduplication and the writer's id look-up see it.
  flow_events: 'cityHash64(tenant, service)',
  auth_events: 'cityHash64(tenant, service)',
  mtls_events: 'cityHash64(tenant, service)',
  decision_events: 'cityHash64(tenant, service)',
  policy_change_events: 'cityHash64(tenant, service)',
  decision_denies: 'cityHash64(tenant, service)',
  findings: 'cityHash64(tenant, finding_id)',
  quarantine: 'cityHash64(tenant, record_id)',
  // Replacing tables only replace within a shard: every version of a key goes to the same shard.
  detector_checkpoints: 'cityHash64(tenant, detector, key)',
  alert_silences: 'cityHash64(tenant, id)',
  alert_notifications: 'cityHash64(tenant, dedup_key)',
  // A rule's spends together on one shard (the restart reads each rule's newest and its hour).
  alert_noise_budget: 'cityHash64(tenant, rule)',
  saved_hunts: 'cityHash64(tenant, hunt_id)',
  incident_actions: 'cityHash64(tenant, incident_key)',
  // Rollups are written by the views on each shard; this key serves only inserts through the
  // distributed table (backfills).
  auth_rollup_1m: 'cityHash64(tenant, service)',
  decision_rollup_1m: 'cityHash64(tenant, service)',
  mtls_rollup_1m: 'cityHash64(tenant, service)',
  flow_rollup_1m: 'cityHash64(tenant, service)',
  service_edge_rollup_1m: 'cityHash64(tenant, src)',
  service_edge_rollup_1h: 'cityHash64(tenant, src)',
  // The perimeter SLIs (0011). A credential's events on one shard: the time-to-revoke view joins
  // a use with its revocation there. Posture as the other raw kinds.
  token_events: 'cityHash64(tenant, credential_id)',
  posture_events: 'cityHash64(tenant, service)',
  token_revocations: 'cityHash64(tenant, credential_id)',
  // Filled by a view from decision_events on each shard (tenant, service): the false-deny view
  // joins a rollback with the pairs of its service there. The key serves backfills only.
  decision_pairs: 'cityHash64(tenant, enforcement_point)',
  decision_sli_rollup_1m: 'cityHash64(tenant, service)',
  policy_change_rollup_1m: 'cityHash64(tenant, service)',
  flow_sli_rollup_1m: 'cityHash64(tenant, service)',
  egress_rollup_1m: 'cityHash64(tenant, service)',
  finding_rollup_1m: 'cityHash64(tenant, service)',
  token_rollup_1m: 'cityHash64(tenant, service)',
  revoked_use_rollup_1m: 'cityHash64(tenant, service)',
  posture_rollup_1m: 'cityHash64(tenant, service)',
  // Rule hits (0014), written by their view on each shard; the key serves backfills only.
  waf_rule_hits_1m: 'cityHash64(tenant, enforcement_point)',
  // Hourly SLO rollups and decisions per tenant (0018), written by views on each shard from the
  // minute rollups; the key serves backfills only. Entity indexes beside their raw kind's rows.
  auth_rollup_1h: 'cityHash64(tenant, service)',
  mtls_rollup_1h: 'cityHash64(tenant, service)',
  decision_rollup_1h: 'cityHash64(tenant, service)',
  flow_rollup_1h: 'cityHash64(tenant, service)',
  decision_sli_rollup_1h: 'cityHash64(tenant, service)',
  policy_change_rollup_1h: 'cityHash64(tenant, service)',
  flow_sli_rollup_1h: 'cityHash64(tenant, service)',
  egress_rollup_1h: 'cityHash64(tenant, service)',
  finding_rollup_1h: 'cityHash64(tenant, service)',
  token_rollup_1h: 'cityHash64(tenant, service)',
  revoked_use_rollup_1h: 'cityHash64(tenant, service)',
  posture_rollup_1h: 'cityHash64(tenant, service)',
  decision_tenant_rollup_1m: 'cityHash64(tenant, minute)',
  decision_failed_requests: 'cityHash64(tenant, request_id)',
  flow_mtls_rollup_1m: 'cityHash64(tenant, service)',
  egress_destination_rollup_1m: 'cityHash64(tenant, dst_ip)',
  flow_entity_index: 'cityHash64(tenant, entity)',
  auth_entity_index: 'cityHash64(tenant, entity)',
  decision_entity_index: 'cityHash64(tenant, entity)',
  mtls_entity_index: 'cityHash64(tenant, entity)',
  policy_change_entity_index: 'cityHash64(tenant, entity)',
  // PDP health and sign-ins per principal (0020), written by views on each shard from the raw
  // tables; the key serves backfills only.
  pdp_health_rollup_1m: 'cityHash64(tenant, enforcement_point)',
  principal_sign_in_rollup_1h: 'cityHash64(tenant, principal)',
  decision_request_index: 'cityHash64(tenant, request_id)',
  // Every version of a key, and of a session, on one shard (they are replacing tables).
  api_keys: 'cityHash64(tenant, key_id)',
  dashboard_sessions: 'cityHash64(tenant, id_sha256)',
  // One chain across tenants: `verify` reads it whole through the distributed table, in seq order.
  audit_log: 'cityHash64(tenant, seq)',
}

const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/

/** Whether `name` can name a cluster in our DDL (letters, digits, `_`; not starting with a digit). */
export function isClusterName(name: string): boolean {
  return CLUSTER_NAME.test(name)
}

/** The table behind a distributed name on each shard. */
export function localTable(table: string): string {
  return `${table}_local`
}

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)\s*\(/
const ENGINE =
  /\bENGINE = (MergeTree|AggregatingMergeTree|ReplacingMergeTree|SummingMergeTree)(?:\(([^)]*)\))?/
const CREATE_VIEW = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\b/
const ALTER_TABLE = /^ALTER TABLE (\w+) (ADD COLUMN|MODIFY TTL)\b/
const INSERT_SELECT = /^INSERT INTO (\w+)\s+SELECT\b/
const DROP_VIEW = /^DROP VIEW IF EXISTS (\w+)$/

/** The replicated engine of `engine`, its ZooKeeper path per shard and its replica name. */
function replicatedEngine(engine: string, args: string | undefined, table: string): string {
  const path = `'/clickhouse/tables/{shard}/{database}/${localTable(table)}', '{replica}'`
  return `ENGINE = Replicated${engine}(${path}${args?.trim() ? `, ${args.trim()}` : ''})`
}

/** `text` with every whole-word name of `tables` replaced by its local table. */
function toLocalNames(text: string, tables: readonly string[]): string {
  if (tables.length === 0) return text
  const names = new RegExp(`\\b(${tables.join('|')})\\b`, 'g')
  return text.replace(names, (name) => localTable(name))
}

/** One migration statement as the cluster runs it: one or more statements. */
export function clusterStatement(statement: string, cluster: string, knownTables: string[]): string[] {
  if (!isClusterName(cluster)) {
    throw new MigrationFailedError(`cluster name "${cluster}" must be letters, digits and _`)
  }
  const text = statement.trim()
  const create = CREATE_TABLE.exec(text)
  if (create?.[1]) {
    const table = create[1]
    const engine = ENGINE.exec(text)
    if (!engine?.[1]) throw new MigrationFailedError(`no MergeTree engine in CREATE TABLE ${table}`)
    const shardKey = clusterShardKeys[table]
    if (!shardKey)
      throw new MigrationFailedError(`table ${table} has no shard key (add it to clusterShardKeys)`)
    knownTables.push(table)
    const local = text
      .replace(CREATE_TABLE, `CREATE TABLE IF NOT EXISTS ${localTable(table)} ON CLUSTER ${cluster}\n(`)
      .replace(ENGINE, replicatedEngine(engine[1], engine[2], table))
    return [
      local,
      `CREATE TABLE IF NOT EXISTS ${table} ON CLUSTER ${cluster} AS ${localTable(table)}\nENGINE = Distributed(${cluster}, currentDatabase(), ${localTable(table)}, ${shardKey})`,
    ]
  }
  const view = CREATE_VIEW.exec(text)
  if (view?.[1] && view[2]) {
    const body = text.slice(view[0].length)
    return [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view[1]} ON CLUSTER ${cluster} TO ${localTable(view[2])} AS${toLocalNames(body, knownTables)}`,
    ]
  }
  const alter = ALTER_TABLE.exec(text)
  if (alter?.[1] && alter[2]) {
    const table = alter[1]
    const rest = text.slice(`ALTER TABLE ${table} `.length)
    const onLocal = `ALTER TABLE ${localTable(table)} ON CLUSTER ${cluster} ${rest}`
    // A distributed table has the columns of its local table but no TTL of its own.
    return alter[2] === 'ADD COLUMN'
      ? [onLocal, `ALTER TABLE ${table} ON CLUSTER ${cluster} ${rest}`]
      : [onLocal]
  }
  if (INSERT_SELECT.test(text)) return [text]
  // A view is dropped to be created again with more columns (0014): it exists on every node.
  const drop = DROP_VIEW.exec(text)
  if (drop?.[1]) return [`DROP VIEW IF EXISTS ${drop[1]} ON CLUSTER ${cluster}`]
  throw new MigrationFailedError(`no cluster form for the statement: ${text.slice(0, 80)}`)
}

/**
 * Every statement of the migrations, in order, as the cluster runs them. Tables created by earlier
 * migrations are passed in `knownTables` (filled as it goes) so that later views read their local
 * tables.
 */
export function clusterStatements(
  statements: readonly string[],
  cluster: string,
  knownTables: string[] = [],
) {
  return statements.flatMap((statement) => clusterStatement(statement, cluster, knownTables))
}

/** The migration ledger on a cluster: one replicated copy on every node (all shards share one path). */
export function clusterMigrationsTable(cluster: string): string {
  if (!isClusterName(cluster)) {
    throw new MigrationFailedError(`cluster name "${cluster}" must be letters, digits and _`)
  }
  return `CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER ${cluster}
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
      ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{replica}')
      ORDER BY version`
}
