import type { ClickHouseClient } from '@clickhouse/client'
import type { Finding } from '@palisade/schema'
import { type DashboardRow, rows as select } from './dashboard-queries.ts'

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
  text: string
  outcome: string
  match: Partial<Record<EntityKind, string[]>>
}[] = [
  {
    kind: 'flow',
    table: 'flow_events',
    text: `concat(if(src_identity != '', src_identity, src_ip), ' → ', if(dst_identity != '', dst_identity, dst_ip), ':', toString(dst_port))`,
    outcome: 'toString(verdict)',
    match: { spiffe: ['src_identity', 'dst_identity'], ip: ['src_ip', 'dst_ip'], workload: ['service'] },
  },
  {
    kind: 'auth',
    table: 'auth_events',
    text: `concat(principal, if(client_ip != '', concat(' from ', client_ip), ''), if(reason != '', concat(': ', reason), ''))`,
    outcome: `concat(toString(outcome), if(failure_kind != '', concat(' (', toString(failure_kind), ')'), ''))`,
    match: { user: ['principal'], ip: ['client_ip'], workload: ['service'] },
  },
  {
    kind: 'decision',
    table: 'decision_events',
    text: `concat(if(subject != '', subject, src_identity), ' ', toString(action), ' ', resource, ' · ', toString(policy_id), '@', toString(policy_revision), ' via ', toString(enforcement_point))`,
    outcome: 'toString(decision)',
    match: {
      spiffe: ['src_identity', 'dst_identity'],
      user: ['subject'],
      revision: ['policy_revision'],
      workload: ['service'],
    },
  },
  {
    kind: 'mtls',
    table: 'mtls_events',
    text: `concat(src_identity, ' → ', dst_identity, ':', toString(dst_port), ' ', toString(mode))`,
    outcome: `concat(toString(outcome), if(reason != '', concat(' (', toString(reason), ')'), ''))`,
    match: { spiffe: ['src_identity', 'dst_identity'], workload: ['service'] },
  },
  {
    kind: 'policy_change',
    table: 'policy_change_events',
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

function entityBranches(kind: EntityKind): string[] {
  const branches = EVENT_SOURCES.flatMap((source) => {
    const columns = source.match[kind]
    if (!columns) return []
    const where = columns.map((column) => `${column} = {value:String}`).join(' OR ')
    return [
      `SELECT '${source.kind}' AS kind, event_id AS id, toUnixTimestamp64Milli(ts) AS ts_ms,
         toString(service) AS service, ${source.text} AS text, ${source.outcome} AS outcome
       FROM ${source.table}
       WHERE ${RANGE} AND (${where})`,
    ]
  })
  return [...branches, FINDING_BRANCH, NOTIFICATION_BRANCH]
}

/** Who an entity talked to in flows: peers of an identity or IP; a workload's are its identities' peers. */
function peerMatch(kind: EntityKind): { self: string; where: string } | undefined {
  if (kind === 'spiffe')
    return {
      self: 'src_identity = {value:String}',
      where: 'src_identity = {value:String} OR dst_identity = {value:String}',
    }
  if (kind === 'ip')
    return { self: 'src_ip = {value:String}', where: 'src_ip = {value:String} OR dst_ip = {value:String}' }
  if (kind === 'workload') {
    // A workload named `payments` runs as `spiffe://…/sa/payments`: match on the identity's tail.
    const tail = `concat('/sa/', {value:String})`
    return {
      self: `endsWith(src_identity, ${tail})`,
      where: `endsWith(src_identity, ${tail}) OR endsWith(dst_identity, ${tail})`,
    }
  }
  return undefined
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
  const union = entityBranches(params.kind).join('\nUNION ALL\n')
  const base = { tenant: params.tenant, from: params.from, to: params.to, value: params.value }
  const peers = peerMatch(params.kind)
  const [timeline, summary, peerRows, findings] = await Promise.all([
    select<TimelineRow>(
      client,
      `SELECT * FROM (${union})
       WHERE {only:String} = '' OR kind = {only:String}
       ORDER BY ts_ms DESC, id LIMIT {limit:UInt32}`,
      { ...base, only: params.only ?? '', limit: params.limit },
    ),
    select<{ kind: string; n: number; first_ms: number; last_ms: number }>(
      client,
      `SELECT kind, count() AS n, min(ts_ms) AS first_ms, max(ts_ms) AS last_ms FROM (${union}) GROUP BY kind`,
      base,
    ),
    peers
      ? select<DashboardRow>(
          client,
          `SELECT if(${peers.self}, if(dst_identity != '', dst_identity, dst_ip), if(src_identity != '', src_identity, src_ip)) AS peer,
                  if(${peers.self}, 'out', 'in') AS direction,
                  dst_port,
                  count() AS flows,
                  countIf(verdict IN ('dropped', 'denied')) AS blocked,
                  toUnixTimestamp64Milli(max(ts)) AS last_seen_ms
           FROM flow_events
           WHERE ${RANGE} AND (${peers.where})
           GROUP BY peer, direction, dst_port
           HAVING peer != ''
           ORDER BY flows DESC, peer, dst_port
           LIMIT {limit:UInt32}`,
          { ...base, limit: params.limit },
        )
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
    `SELECT toUnixTimestamp64Milli(recorded_at) AS ts_ms, alertname, severity, receiver, action, status, summary, labels, attempts, detail
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
