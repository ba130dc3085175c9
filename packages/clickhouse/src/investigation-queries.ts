import type { ClickHouseClient } from '@clickhouse/client'
import type { Finding } from '@palisade/schema'
import { type DashboardRow, rollupTiers, rows as select } from './dashboard-queries.ts'

/** Kinds of entity an analyst can open a page for; each maps to the columns that hold it. */
export const entityKinds = ['workload', 'spiffe', 'ip', 'user', 'revision'] as const
export type EntityKind = (typeof entityKinds)[number]

/** A bounded, tenant-scoped read: every investigation query takes one. */
export interface InvestigationRange {
  tenant: string
  /** Range start, epoch ms (inclusive). */
  from: number
  /** Range end, epoch ms (inclusive). */
  to: number
  /** Most rows a list answers. */
  limit: number
}

/** The kinds of record a timeline holds. */
export const timelineKinds = [
  'flow',
  'auth',
  'decision',
  'mtls',
  'policy_change',
  'finding',
  'notification',
] as const
export type TimelineKind = (typeof timelineKinds)[number]

/** One row of an entity's or incident's timeline, whatever table it came from. */
export interface TimelineRow {
  kind: TimelineKind
  id: string
  ts_ms: number
  service: string
  text: string
  outcome: string
}

/** Most event ids one evidence lookup reads (a finding cites a handful). */
export const MAX_EVIDENCE_IDS = 100

/** Risk points a finding of each severity contributes to its entities' score. */
const SEVERITY_POINTS: Record<string, number> = { page: 10, ticket: 3, info: 1 }

const RANGE = `tenant = {tenant:String}
  AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
  AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`

// One SELECT per event table, all with the same columns so they can be unioned. `text` is what a
// timeline line says; `match` lists, per entity kind, the columns that hold that kind of value.
// Column names come from this fixed table only; the value is always a query parameter.
const EVENT_SOURCES: {
  kind: TimelineRow['kind']
  table: string
  /** Its entity index (`sql/0018_…`): the events of each entity but workloads, sorted by entity and time. */
  index: string
  text: string
  outcome: string
  match: Partial<Record<EntityKind, string[]>>
}[] = [
  {
    kind: 'flow',
    table: 'flow_events',
    index: 'flow_entity_index',
    text: `concat(if(src_identity != '', src_identity, src_ip), ' → ', if(dst_identity != '', dst_identity, dst_ip), ':', toString(dst_port))`,
    outcome: 'toString(verdict)',
    match: { spiffe: ['src_identity', 'dst_identity'], ip: ['src_ip', 'dst_ip'], workload: ['service'] },
  },
  {
    kind: 'auth',
    table: 'auth_events',
    index: 'auth_entity_index',
    text: `concat(principal, if(client_ip != '', concat(' from ', client_ip), ''), if(reason != '', concat(': ', reason), ''))`,
    outcome: `concat(toString(outcome), if(failure_kind != '', concat(' (', toString(failure_kind), ')'), ''))`,
    match: { user: ['principal'], ip: ['client_ip'], workload: ['service'] },
  },
  {
    kind: 'decision',
    table: 'decision_events',
    index: 'decision_entity_index',
    // A WAF's decision names its caller by client address only.
    text: `concat(multiIf(subject != '', subject, src_identity != '', src_identity, client_ip), ' ', toString(action), ' ', resource, ' · ', toString(policy_id), '@', toString(policy_revision), ' via ', toString(enforcement_point))`,
    outcome: 'toString(decision)',
    match: {
      spiffe: ['src_identity', 'dst_identity'],
      ip: ['client_ip'],
      user: ['subject'],
      revision: ['policy_revision'],
      workload: ['service'],
    },
  },
  {
    kind: 'mtls',
    table: 'mtls_events',
    index: 'mtls_entity_index',
    text: `concat(src_identity, ' → ', dst_identity, ':', toString(dst_port), ' ', toString(mode))`,
    outcome: `concat(toString(outcome), if(reason != '', concat(' (', toString(reason), ')'), ''))`,
    match: { spiffe: ['src_identity', 'dst_identity'], workload: ['service'] },
  },
  {
    kind: 'policy_change',
    table: 'policy_change_events',
    index: 'policy_change_entity_index',
    text: `concat(policy_id, ' ', previous_revision, ' → ', revision, ' by ', actor, ' on ', toString(enforcement_point))`,
    outcome: 'toString(status)',
    match: { revision: ['revision', 'previous_revision'], workload: ['service'], user: ['actor'] },
  },
]

const FINDING_BRANCH = `SELECT 'finding' AS kind, finding_id AS id, toUnixTimestamp64Milli(ts) AS ts_ms,
    '' AS service, title AS text, toString(severity) AS outcome
  FROM findings
  WHERE ${RANGE} AND has(mapValues(JSONExtract(entities, 'Map(String, String)')), {value:String})`

const NOTIFICATION_BRANCH = `SELECT 'notification' AS kind, dedup_key AS id, toUnixTimestamp64Milli(recorded_at) AS ts_ms,
    '' AS service, concat(toString(alertname), ': ', summary, ' → ', toString(receiver)) AS text,
    concat(toString(action), ' ', toString(status)) AS outcome
  FROM alert_notifications
  WHERE tenant = {tenant:String}
    AND recorded_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
    AND recorded_at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
    AND (has(mapValues(labels), {value:String}) OR position(summary, {value:String}) > 0)`

/**
 * Where an entity's events are found: a workload is the raw tables' `service`, which leads their sort
 * key; every other kind has its entity index. Either way the read is bounded by the entity, the range
 * and, for the timeline, the limit: not by the number of events stored.
 */
function sourcesOf(kind: EntityKind, only: TimelineKind | undefined) {
  return EVENT_SOURCES.filter((source) => source.match[kind] && (only === undefined || only === source.kind))
}

/** The entity's newest events of one source as timeline rows, newest first (a workload's, from the raw table). */
function workloadBranch(source: (typeof EVENT_SOURCES)[number]): string {
  return `SELECT * FROM (
       SELECT '${source.kind}' AS kind, event_id AS id, toUnixTimestamp64Milli(ts) AS ts_ms,
         toString(service) AS service, ${source.text} AS text, ${source.outcome} AS outcome
       FROM ${source.table}
       WHERE ${RANGE} AND service = {value:String}
       ORDER BY ts DESC, event_id LIMIT {limit:UInt32})`
}

/** The entity's newest index rows of one source (kind, id, time), newest first. */
function indexBranch(source: (typeof EVENT_SOURCES)[number]): string {
  return `SELECT * FROM (
       SELECT '${source.kind}' AS kind, event_id AS id, toUnixTimestamp64Milli(ts) AS ts_ms
       FROM ${source.index}
       WHERE ${RANGE} AND entity_kind = {kind:String} AND entity = {value:String}
       ORDER BY ts DESC, event_id LIMIT {limit:UInt32})`
}

/** Rows in the range per source, with first and last seen, from the index (or the raw table's key). */
function countBranch(source: (typeof EVENT_SOURCES)[number], kind: EntityKind): string {
  const where =
    kind === 'workload'
      ? `FROM ${source.table} WHERE ${RANGE} AND service = {value:String}`
      : `FROM ${source.index} WHERE ${RANGE} AND entity_kind = {kind:String} AND entity = {value:String}`
  return `SELECT '${source.kind}' AS kind, count() AS n, toUnixTimestamp64Milli(min(ts)) AS first_ms,
       toUnixTimestamp64Milli(max(ts)) AS last_ms ${where}`
}

const NEWEST_FIRST = (a: TimelineRow, b: TimelineRow) =>
  b.ts_ms - a.ts_ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * The timeline: the entity's newest `limit` rows across kinds. For an indexed kind, the index names
 * the newest events (id and time) and only those are read from the raw tables, by id within their
 * time span (the raw tables' `event_id` bloom filter).
 */
async function entityTimeline(
  client: ClickHouseClient,
  params: InvestigationRange & { kind: EntityKind; value: string; only?: TimelineKind },
): Promise<TimelineRow[]> {
  const base = {
    tenant: params.tenant,
    from: params.from,
    to: params.to,
    kind: params.kind,
    value: params.value,
    limit: params.limit,
  }
  const sources = sourcesOf(params.kind, params.only)
  const side = [
    ...(params.only === undefined || params.only === 'finding' ? [FINDING_BRANCH] : []),
    ...(params.only === undefined || params.only === 'notification' ? [NOTIFICATION_BRANCH] : []),
  ].map((branch) => `SELECT * FROM (${branch} ORDER BY ts_ms DESC, id LIMIT {limit:UInt32})`)
  if (params.kind === 'workload') {
    const union = [...sources.map(workloadBranch), ...side].join('\nUNION ALL\n')
    if (union === '') return []
    return select<TimelineRow>(
      client,
      `SELECT * FROM (${union}) ORDER BY ts_ms DESC, id LIMIT {limit:UInt32}`,
      base,
    )
  }
  const [newest, others] = await Promise.all([
    sources.length === 0
      ? Promise.resolve([])
      : select<{ kind: TimelineKind; id: string; ts_ms: number }>(
          client,
          `SELECT * FROM (${sources.map(indexBranch).join('\nUNION ALL\n')})
           ORDER BY ts_ms DESC, id LIMIT {limit:UInt32}`,
          base,
        ),
    side.length === 0
      ? Promise.resolve([])
      : select<TimelineRow>(client, `SELECT * FROM (${side.join('\nUNION ALL\n')})`, base),
  ])
  const events = await Promise.all(
    sources.map((source) => {
      const picked = newest.filter((row) => row.kind === source.kind)
      if (picked.length === 0) return Promise.resolve([])
      return select<TimelineRow>(
        client,
        `SELECT '${source.kind}' AS kind, event_id AS id, toUnixTimestamp64Milli(ts) AS ts_ms,
                toString(service) AS service, ${source.text} AS text, ${source.outcome} AS outcome
         FROM ${source.table}
         WHERE ${RANGE} AND event_id IN {ids:Array(String)}
         LIMIT 1 BY id`,
        {
          tenant: params.tenant,
          from: Math.min(...picked.map((row) => row.ts_ms)),
          to: Math.max(...picked.map((row) => row.ts_ms)),
          ids: picked.map((row) => row.id),
        },
      )
    }),
  )
  return [...events.flat(), ...others].sort(NEWEST_FIRST).slice(0, params.limit)
}

/**
 * Who an entity talked to in flows, from the service-edge rollups (whole hours, whole minutes, and
 * the raw flows of the partial minutes at the range's ends, as the service graph reads them): a
 * connection `client → server:port` as the format decided it, `out` when the entity is the client.
 * A workload's peers are its identities' (`…/sa/<name>`). An IP's peers read the raw flows: edges
 * are named by identity when there is one.
 */
function peerQuery(kind: EntityKind): string | undefined {
  if (kind === 'ip')
    return `SELECT if(src_ip = {value:String}, if(dst_identity != '', dst_identity, dst_ip), if(src_identity != '', src_identity, src_ip)) AS peer,
                  if(src_ip = {value:String}, 'out', 'in') AS direction,
                  dst_port,
                  count() AS flows,
                  countIf(verdict IN ('dropped', 'denied')) AS blocked,
                  toUnixTimestamp64Milli(max(ts)) AS last_seen_ms
           FROM flow_events
           WHERE ${RANGE} AND (src_ip = {value:String} OR dst_ip = {value:String})
           GROUP BY peer, direction, dst_port
           HAVING peer != ''
           ORDER BY flows DESC, peer, dst_port
           LIMIT {limit:UInt32}`
  const self =
    kind === 'spiffe'
      ? (column: string) => `${column} = {value:String}`
      : kind === 'workload'
        ? (column: string) => `endsWith(${column}, concat('/sa/', {value:String}))`
        : undefined
  if (!self) return undefined
  return `SELECT if(${self('src')}, dst, src) AS peer,
            if(${self('src')}, 'out', 'in') AS direction,
            dst_port,
            sum(flows) AS flows,
            sum(blocked) AS blocked,
            toUnixTimestamp64Milli(max(last_seen)) AS last_seen_ms
     -- Request rows of the rollups (decisions, no flow) are not connections seen in flows.
     FROM (SELECT * FROM (
       SELECT src, dst, dst_port, flows, blocked, last_seen
       FROM service_edge_rollup_1h
       WHERE tenant = {tenant:String}
         AND hour >= fromUnixTimestamp64Milli({hour_start:Int64}, 'UTC')
         AND hour < fromUnixTimestamp64Milli({hour_end:Int64}, 'UTC')
       UNION ALL
       SELECT src, dst, dst_port, flows, blocked, last_seen
       FROM service_edge_rollup_1m
       WHERE tenant = {tenant:String}
         AND minute >= fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
         AND minute < fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC')
         AND (minute < fromUnixTimestamp64Milli({hour_start:Int64}, 'UTC')
              OR minute >= fromUnixTimestamp64Milli({hour_end:Int64}, 'UTC'))
       UNION ALL
       SELECT if(reply, receiver, sender) AS src, if(reply, sender, receiver) AS dst, port AS dst_port,
              toUInt64(1) AS flows, toUInt64(verdict IN ('dropped', 'denied')) AS blocked,
              CAST(ts AS Nullable(DateTime64(3, 'UTC'))) AS last_seen
       FROM (
         SELECT if(src_identity != '', src_identity, src_ip) AS sender,
                if(dst_identity != '', dst_identity, dst_ip) AS receiver,
                ifNull(is_reply, false) AS reply,
                ifNull(server_port, dst_port) AS port,
                verdict, ts
         FROM flow_events
         WHERE ${RANGE}
           AND (ts < fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
                OR ts >= fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC'))
       )
     ) WHERE flows > 0)
     WHERE ${self('src')} OR ${self('dst')}
     GROUP BY peer, direction, dst_port
     HAVING peer != ''
     ORDER BY flows DESC, peer, dst_port
     LIMIT {limit:UInt32}`
}

/** An entity's page: timeline across kinds, first/last seen, flow peers, risk from findings. */
export interface EntityPage {
  kind: EntityKind
  value: string
  timeline: TimelineRow[]
  /** Rows in the range per timeline kind (the timeline itself stops at the limit). */
  counts: Record<string, number>
  firstSeenMs: number | null
  lastSeenMs: number | null
  peers: DashboardRow[]
  risk: {
    score: number
    contributions: { finding_id: string; rule: string; severity: string; title: string; points: number }[]
  }
}

/** Everything stored about one entity over a bounded range, tenant-scoped. */
export async function queryEntityPage(
  client: ClickHouseClient,
  params: InvestigationRange & { kind: EntityKind; value: string; only?: TimelineKind },
): Promise<EntityPage> {
  const base = { tenant: params.tenant, from: params.from, to: params.to, value: params.value }
  const peers = peerQuery(params.kind)
  const counted = [
    ...sourcesOf(params.kind, undefined).map((source) => countBranch(source, params.kind)),
    `SELECT kind, count() AS n, min(ts_ms) AS first_ms, max(ts_ms) AS last_ms FROM (${FINDING_BRANCH}) GROUP BY kind`,
    `SELECT kind, count() AS n, min(ts_ms) AS first_ms, max(ts_ms) AS last_ms FROM (${NOTIFICATION_BRANCH}) GROUP BY kind`,
  ]
  const [timeline, summary, peerRows, findings] = await Promise.all([
    entityTimeline(client, params),
    select<{ kind: string; n: number; first_ms: number; last_ms: number }>(
      client,
      `SELECT * FROM (${counted.join('\nUNION ALL\n')}) WHERE n > 0`,
      { ...base, kind: params.kind },
    ),
    peers
      ? select<DashboardRow>(client, peers, { ...base, ...rollupTiers(params), limit: params.limit })
      : Promise.resolve([]),
    select<{ finding_id: string; rule: string; severity: string; title: string }>(
      client,
      `SELECT finding_id, rule, toString(severity) AS severity, title FROM findings
       WHERE ${RANGE} AND has(mapValues(JSONExtract(entities, 'Map(String, String)')), {value:String})
       ORDER BY ts DESC, finding_id LIMIT {limit:UInt32}`,
      { ...base, limit: params.limit },
    ),
  ])
  const contributions = findings.map((finding) => ({
    ...finding,
    points: SEVERITY_POINTS[finding.severity] ?? 0,
  }))
  const seen = summary.filter((row) => row.kind !== 'notification')
  return {
    kind: params.kind,
    value: params.value,
    timeline,
    counts: Object.fromEntries(summary.map((row) => [row.kind, row.n])),
    firstSeenMs: seen.length > 0 ? Math.min(...seen.map((row) => row.first_ms)) : null,
    lastSeenMs: seen.length > 0 ? Math.max(...seen.map((row) => row.last_ms)) : null,
    peers: peerRows,
    risk: { score: contributions.reduce((sum, c) => sum + c.points, 0), contributions },
  }
}

/** One finding by id, tenant-scoped (ids are global, the tenant check is what isolates). */
export async function queryFindingById(
  client: ClickHouseClient,
  params: { tenant: string; findingId: string },
): Promise<Finding | undefined> {
  const [row] = await select<
    Omit<Finding, 'ts' | 'detected_at' | 'entities' | 'evidence'> & {
      ts_ms: number
      detected_ms: number
      entities: string
      evidence: string
    }
  >(
    client,
    `SELECT tenant, finding_id, toUnixTimestamp64Milli(ts) AS ts_ms, toUnixTimestamp64Milli(detected_at) AS detected_ms,
            rule, severity, title, summary, entities, evidence
     FROM findings
     WHERE tenant = {tenant:String} AND finding_id = {id:String}
     LIMIT 1`,
    { tenant: params.tenant, id: params.findingId },
  )
  if (!row) return undefined
  const { ts_ms, detected_ms, ...rest } = row
  return {
    ...rest,
    ts: Number(ts_ms),
    detected_at: Number(detected_ms),
    entities: JSON.parse(rest.entities) as Record<string, string>,
    evidence: JSON.parse(rest.evidence) as Record<string, unknown>,
  }
}

/** A stored event found by id: its table's kind and its columns as JSON. */
export interface StoredEvent {
  kind: TimelineRow['kind']
  event_id: string
  ts_ms: number
  fields: Record<string, unknown>
}

/**
 * Stored events by id across the event tables, tenant-scoped and bounded by a time range (the
 * tables are partitioned by month: the range keeps the lookup off the rest of the retention).
 */
export async function queryEventsByIds(
  client: ClickHouseClient,
  params: { tenant: string; ids: string[]; from: number; to: number },
): Promise<StoredEvent[]> {
  const ids = params.ids.slice(0, MAX_EVIDENCE_IDS)
  if (ids.length === 0) return []
  // Each table answers its own columns; one query per table keeps the column sets apart.
  const found = await Promise.all(
    EVENT_SOURCES.map(async (source) => {
      const rows = await select<Record<string, unknown>>(
        client,
        `SELECT *, toUnixTimestamp64Milli(ts) AS ts_ms FROM ${source.table}
         WHERE ${RANGE} AND event_id IN {ids:Array(String)}
         ORDER BY ts LIMIT ${MAX_EVIDENCE_IDS}`,
        { tenant: params.tenant, from: params.from, to: params.to, ids },
      )
      return rows.map(({ ts_ms, ts: _ts, observed_at: _observed, tenant: _tenant, ...fields }) => ({
        kind: source.kind,
        event_id: String(fields.event_id),
        ts_ms: Number(ts_ms),
        fields,
      }))
    }),
  )
  return found.flat().sort((a, b) => a.ts_ms - b.ts_ms)
}

/** An incident: its notifications (every action and delivery) and the findings of its rule. */
export interface IncidentTimeline {
  dedup_key: string
  notifications: DashboardRow[]
  findings: TimelineRow[]
}

/**
 * One incident by dedup key over a bounded range: every ledger row, newest first, and the findings
 * whose rule is the incident's alertname (alerts raised from findings are named after the rule).
 */
export async function queryIncidentTimeline(
  client: ClickHouseClient,
  params: InvestigationRange & { dedupKey: string },
): Promise<IncidentTimeline> {
  const base = {
    tenant: params.tenant,
    from: params.from,
    to: params.to,
    key: params.dedupKey,
    limit: params.limit,
  }
  const notifications = await select<DashboardRow>(
    client,
    `SELECT toUnixTimestamp64Milli(recorded_at) AS ts_ms, alertname, severity, receiver, action, status, summary, labels, attempts, detail,
            JSONExtractString(payload, 'title') AS title, JSONExtractString(payload, 'reason') AS reason
     FROM alert_notifications
     WHERE tenant = {tenant:String} AND dedup_key = {key:String}
       AND recorded_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
       AND recorded_at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
     ORDER BY recorded_at DESC, receiver
     LIMIT {limit:UInt32}`,
    base,
  )
  const rules = [...new Set(notifications.map((row) => String(row.alertname)))]
  const findings =
    rules.length === 0
      ? []
      : await select<TimelineRow>(
          client,
          `SELECT 'finding' AS kind, finding_id AS id, toUnixTimestamp64Milli(ts) AS ts_ms, '' AS service,
                  title AS text, toString(severity) AS outcome
           FROM findings
           WHERE ${RANGE} AND rule IN {rules:Array(String)}
           ORDER BY ts DESC, finding_id
           LIMIT {limit:UInt32}`,
          { ...base, rules },
        )
  return { dedup_key: params.dedupKey, notifications, findings }
}
