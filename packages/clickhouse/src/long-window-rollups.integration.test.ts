import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { insertSyntheticEvents } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DashboardQueryParams, dashboardQueries, minuteTiers, rows } from './dashboard-queries.ts'
import { createFindingStore } from './finding-store.ts'
import { type ClickHouseClient, openClickHouse } from './index.ts'
import { type EntityKind, queryEntityPage, type TimelineKind } from './investigation-queries.ts'
import { migrate } from './migrations.ts'
import { migrationsDir } from './migrations-dir.ts'
import { panelQueries } from './panel-queries.ts'
import {
  burnRateTiers,
  queryBurnRateSeries,
  querySloWindows,
  querySloWindowsOfEach,
  type SloWindowQuery,
  sloWindowTiers,
} from './slo-window-query.ts'

// Migration 0018: hourly SLO rollups, decisions per tenant and minute, entity indexes. Each read is
// checked against the raw events it summarises (the oracle is written here, over the raw tables),
// after a backfill of history stored before the migration and after new events through the views.

const MINUTE = 60_000
const HOUR = 60 * MINUTE
// Three and a half days, ends inside minutes and hours.
const start = Date.UTC(2026, 10, 20, 5, 17, 23, 411)
const end = Date.UTC(2026, 10, 23, 17, 41, 7, 5)
// SLO windows end at a minute that is not on the hour; 30 days reaches before the data.
const sloNow = Date.UTC(2026, 10, 23, 17, 23, 40)
const sloWindows = [
  5 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  6 * HOUR,
  24 * HOUR,
  3 * 24 * HOUR,
  30 * 24 * HOUR,
]

let client: ClickHouseClient
let dataDir: string
let beforeDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-long-windows-'))
  // The schema as it was before 0018, to load history the migration must backfill.
  beforeDir = mkdtempSync(join(tmpdir(), 'palisade-migrations-'))
  for (const file of readdirSync(migrationsDir).filter((name) => /^00(0\d|1[0-7])_/.test(name)))
    copyFileSync(join(migrationsDir, file), join(beforeDir, file))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: beforeDir })
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(beforeDir, { recursive: true, force: true })
})

/** Auth windows from the raw events: system failures over attempts in [now - w, now), now floored to the minute. */
async function rawAuthWindows(tenant: string, now = sloNow, windows = sloWindows) {
  const endMs = Math.floor(now / MINUTE) * MINUTE
  return Promise.all(
    windows.map(async (windowMs) => {
      const [row] = await rows<{ bad: number; total: number; first: number | null }>(
        client,
        `SELECT countIf(outcome = 'failure' AND failure_kind != 'user') AS bad, count() AS total,
                if(total = 0, NULL, toUnixTimestamp(toStartOfMinute(min(ts))) * 1000) AS first
         FROM auth_events
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`,
        { tenant, from: endMs - windowMs, to: endMs },
      )
      return {
        windowMs,
        bad: Number(row?.bad),
        total: Number(row?.total),
        ...(row?.first == null ? {} : { firstMinute: Number(row.first) }),
      }
    }),
  )
}

/** Egress windows from the raw flows, leaving out 203.0.113.0/28 on port 443 (a declared destination). */
async function rawEgressWindows(tenant: string) {
  const endMs = Math.floor(sloNow / MINUTE) * MINUTE
  return Promise.all(
    sloWindows.map(async (windowMs) => {
      const [row] = await rows<{ bad: number; total: number }>(
        client,
        `SELECT countIf(verdict IN ('dropped', 'denied')) AS bad, count() AS total
         FROM flow_events
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
           AND dst_identity = '' AND dst_ip != '' AND NOT ifNull(is_reply, false)
           AND NOT isIPAddressInRange(dst_ip, '10.0.0.0/8')
           AND NOT (isIPAddressInRange(dst_ip, '203.0.113.0/28') AND ifNull(server_port, dst_port) = 443)`,
        { tenant, from: endMs - windowMs, to: endMs },
      )
      return { windowMs, bad: Number(row?.bad), total: Number(row?.total) }
    }),
  )
}

async function expectSloWindowsAsRaw() {
  for (const tenant of ['acme', 'globex']) {
    const [auth] = await querySloWindows(client, {
      rollup: 'auth',
      bad: { system_failures: 1 },
      total: { attempts: 1 },
      tenant,
      windowsMs: sloWindows,
      now: sloNow,
    })
    expect(auth?.tenant).toBe(tenant)
    expect(auth?.windows, tenant).toEqual(await rawAuthWindows(tenant))
    const [egress] = await querySloWindows(client, {
      rollup: 'egress',
      bad: { blocked: 1 },
      total: { attempts: 1 },
      excludeDestinations: [{ cidr: '203.0.113.0/28', ports: [443] }],
      tenant,
      windowsMs: sloWindows,
      now: sloNow,
    })
    expect(
      egress?.windows.map(({ windowMs, bad, total }) => ({ windowMs, bad, total })),
      tenant,
    ).toEqual(await rawEgressWindows(tenant))
  }
  // Windows of whole hours ending on the hour read no minute at all.
  const onTheHour = Math.floor(sloNow / HOUR) * HOUR
  const [aligned] = await querySloWindows(client, {
    rollup: 'auth',
    bad: { system_failures: 1 },
    total: { attempts: 1 },
    tenant: 'acme',
    windowsMs: [HOUR, 6 * HOUR, 24 * HOUR],
    now: onTheHour,
  })
  expect(aligned?.windows).toEqual(await rawAuthWindows('acme', onTheHour, [HOUR, 6 * HOUR, 24 * HOUR]))
  // Every tenant at once (the evaluator's sweep): each its own sums.
  const all = await querySloWindows(client, {
    rollup: 'auth',
    bad: { system_failures: 1 },
    total: { attempts: 1 },
    tenant: null,
    windowsMs: sloWindows,
    now: sloNow,
  })
  expect(all.map((row) => row.tenant)).toEqual(['acme', 'globex'])
  expect(all[1]?.windows).toEqual(await rawAuthWindows('globex'))
  expect(all[0]?.windows.at(-1)?.total).toBeGreaterThan(all[1]?.windows.at(-1)?.total ?? 0)
  // Several SLOs in one statement (the SLO list): each answers as it does alone, in the order asked,
  // a time-sliced one and an egress one with declared destinations among them.
  const several: SloWindowQuery[] = [
    {
      rollup: 'auth',
      bad: { system_failures: 1 },
      total: { attempts: 1 },
      tenant: 'acme',
      windowsMs: sloWindows,
      now: sloNow,
    },
    {
      rollup: 'egress',
      bad: { blocked: 1 },
      total: { attempts: 1 },
      excludeDestinations: [{ cidr: '203.0.113.0/28', ports: [443] }],
      tenant: 'acme',
      windowsMs: sloWindows,
      now: sloNow,
    },
    {
      rollup: 'posture',
      bad: { failures: 1 },
      total: { checks: 1 },
      tenant: 'acme',
      windowsMs: sloWindows,
      now: sloNow,
    },
    {
      rollup: 'decision',
      bad: { errors: 1 },
      total: { decisions: 1 },
      timeSlice: { windowMs: 5 * MINUTE, target: 0.99 },
      tenant: 'acme',
      windowsMs: [HOUR, 24 * HOUR],
      now: sloNow,
    },
    {
      rollup: 'auth',
      bad: { user_failures: 1 },
      total: { attempts: 1 },
      tenant: null,
      windowsMs: sloWindows,
      now: sloNow,
    },
  ]
  const batched = await querySloWindowsOfEach(client, several)
  expect(batched).toEqual(await Promise.all(several.map((query) => querySloWindows(client, query))))
  expect(batched[0]?.[0]?.windows).toEqual(await rawAuthWindows('acme'))
  expect(batched[2]).toEqual([])
  expect(batched[4]?.map((row) => row.tenant)).toEqual(['acme', 'globex'])
}

/** Burn-rate series (a budget's 6-hour steps over 30 days, a 1-hour window every 8 minutes) against raw auth minutes. */
async function expectBurnRateSeriesAsRaw() {
  const perMinute = await rows<{ m: number; bad: number; total: number }>(
    client,
    `SELECT toUnixTimestamp(toStartOfMinute(ts)) AS m, countIf(outcome = 'failure' AND failure_kind != 'user') AS bad,
            count() AS total
     FROM auth_events WHERE tenant = 'acme' GROUP BY m`,
    {},
  )
  const nowS = Math.floor(sloNow / MINUTE) * 60
  const hourS = Math.floor(sloNow / HOUR) * 3600
  for (const [from, to, stepS, windowS] of [
    [nowS - 30 * 86_400 + 6 * 3600, nowS, 6 * 3600, 6 * 3600],
    [nowS - 86_400, nowS, 480, 3600],
    // On the hour: whole hours only, no minute to read.
    [hourS - 86_400, hourS, 3600, 3600],
  ] as const) {
    const series = await queryBurnRateSeries(client, {
      rollup: 'auth',
      bad: { system_failures: 1 },
      total: { attempts: 1 },
      tenant: 'acme',
      from: from * 1000,
      to: to * 1000,
      stepMs: stepS * 1000,
      windowMs: windowS * 1000,
    })
    const expected = series.map(({ ts }) => {
      const inWindow = perMinute.filter((row) => row.m >= ts / 1000 - windowS && row.m < ts / 1000)
      return {
        ts,
        bad: inWindow.reduce((sum, row) => sum + Number(row.bad), 0),
        total: inWindow.reduce((sum, row) => sum + Number(row.total), 0),
      }
    })
    expect(series).toEqual(expected)
    expect(series.filter((point) => point.total > 0).length).toBeGreaterThan(10)
  }
}

function panel(tenant: string, from: number, to: number, stepMs: number): DashboardQueryParams {
  return { tenant, from, to, stepMs, limit: 1000 }
}

const panelRanges: [string, number, number, number][] = [
  ['a day, unaligned, 8-minute buckets', end - 24 * HOUR - 7_777, end, 8 * MINUTE],
  ['six hours, 2-minute buckets', end - 6 * HOUR, end, 2 * MINUTE],
  ['inside one hour', Date.UTC(2026, 10, 22, 9, 3, 10), Date.UTC(2026, 10, 22, 9, 47, 50), MINUTE],
  ['whole hours exactly', Date.UTC(2026, 10, 21, 8), Date.UTC(2026, 10, 21, 20) - 1, HOUR],
]

/** The decision panels against the raw decisions of the same whole minutes. */
async function expectDecisionPanelsAsRaw() {
  for (const tenant of ['acme', 'globex']) {
    for (const [name, from, to, stepMs] of panelRanges) {
      const { minute_start, minute_end } = minuteTiers({ from, to })
      const range = { tenant, from: minute_start, to: minute_end, step_s: stepMs / 1000 }
      const rawDenies = await rows(
        client,
        `SELECT toUnixTimestamp(toStartOfInterval(ts, toIntervalSecond({step_s:UInt32}))) * 1000 AS ts_ms,
                count() AS total, countIf(decision = 'deny' AND NOT dry_run) AS deny_count,
                countIf(decision = 'error') AS error_count, countIf(decision = 'deny' AND dry_run) AS dry_run_deny_count,
                if(total = 0, NULL, deny_count / total) AS deny_ratio,
                if(total = 0, NULL, 1 - error_count / total) AS availability
         FROM decision_events
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         GROUP BY ts_ms ORDER BY ts_ms`,
        range,
      )
      expect(rawDenies.length, name).toBeGreaterThan(0)
      expect(
        await dashboardQueries.deny_ratio_series(client, panel(tenant, from, to, stepMs)),
        `${tenant}: ${name}`,
      ).toEqual(rawDenies)
      const rawServices = await rows(
        client,
        `SELECT toString(service) AS service, count() AS total, countIf(decision = 'deny' AND NOT dry_run) AS deny_count,
                countIf(decision = 'error') AS error_count, if(total = 0, NULL, deny_count / total) AS deny_ratio
         FROM decision_events
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         GROUP BY service HAVING deny_count + error_count > 0
         ORDER BY deny_count + error_count DESC, service LIMIT 1000`,
        range,
      )
      expect(rawServices.length, name).toBeGreaterThan(0)
      expect(
        await dashboardQueries.top_denied_services(client, panel(tenant, from, to, stepMs)),
        `${tenant}: ${name}`,
      ).toEqual(rawServices)
      // Percentiles merged from t-digest states: per bucket, the count is exact; with many decisions
      // each percentile is close to the exact one of the raw latencies (which span 0 to 4 ms), with
      // a few (t-digest interpolates between them) it lies between the smallest and the largest.
      const rawLatency = await rows<{
        ts_ms: number
        decision_count: number
        timed: number
        low: number
        high: number
        p50: number
        p95: number
      }>(
        client,
        `SELECT toUnixTimestamp(toStartOfInterval(ts, toIntervalSecond({step_s:UInt32}))) * 1000 AS ts_ms,
                count() AS decision_count, countIf(latency_ms IS NOT NULL) AS timed,
                min(latency_ms) AS low, max(latency_ms) AS high,
                quantileExactIf(0.5)(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS p50,
                quantileExactIf(0.95)(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS p95
         FROM decision_events
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         GROUP BY ts_ms ORDER BY ts_ms`,
        range,
      )
      const latency = await dashboardQueries.decision_latency(client, panel(tenant, from, to, stepMs))
      expect(
        latency.map((row) => [row.ts_ms, row.decision_count]),
        `${tenant}: ${name}`,
      ).toEqual(rawLatency.map((row) => [row.ts_ms, row.decision_count]))
      for (const [i, row] of latency.entries()) {
        const exact = rawLatency[i]
        if (!exact || exact.timed === 0) continue
        for (const [estimate, value] of [
          [row.p50_ms, exact.p50],
          [row.p95_ms, exact.p95],
        ] as const) {
          if (exact.timed > 200)
            expect(Math.abs(Number(estimate) - value), `${tenant}: ${name}`).toBeLessThan(0.25)
          expect(Number(estimate), `${tenant}: ${name}`).toBeGreaterThanOrEqual(exact.low - 1e-9)
          expect(Number(estimate), `${tenant}: ${name}`).toBeLessThanOrEqual(exact.high + 1e-9)
        }
      }
    }
  }
}

/** The debug and executive panels moved to bounded reads, against the raw queries they replaced. */
async function expectDebugPanelsAsRaw() {
  for (const tenant of ['acme', 'globex']) {
    for (const [from, to, limit] of [
      [end - 24 * HOUR, end, 200],
      [end - 3 * HOUR - 5_000, end - HOUR, 30],
    ] as const) {
      const range = { tenant, from, to, limit }
      const where = `tenant = {tenant:String}
        AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`
      const timelines = await rows(
        client,
        `SELECT request_id, toUnixTimestamp64Milli(max(ts)) AS last_ms, count() AS records,
                arrayStringConcat(arraySort(groupUniqArray(toString(source))), ', ') AS sources,
                arrayStringConcat(arraySort(groupUniqArray(toString(enforcement_point))), ', ') AS enforcement_points,
                arrayStringConcat(arrayMap(x -> x.2, arraySort(groupArray((ts, toString(decision))))), ' → ') AS outcomes
         FROM decision_events WHERE ${where} AND request_id != ''
         GROUP BY request_id HAVING countIf(decision != 'allow') > 0
         ORDER BY last_ms DESC, request_id LIMIT {limit:UInt32}`,
        range,
      )
      expect(timelines.length).toBeGreaterThan(0)
      const params = { ...range, stepMs: MINUTE }
      expect(await panelQueries.request_timelines(client, params), tenant).toEqual(timelines)
      const denies = await rows(
        client,
        `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, request_id, toString(source) AS source,
                toString(enforcement_point) AS enforcement_point, multiIf(subject != '', subject, src_identity) AS caller,
                dst_identity, toString(action) AS method, resource AS path, toString(policy_id) AS policy_id,
                toString(policy_revision) AS policy_revision
         FROM decision_events WHERE ${where} AND decision = 'deny' AND NOT dry_run
         ORDER BY ts DESC, event_id LIMIT {limit:UInt32}`,
        range,
      )
      expect(denies.length).toBeGreaterThan(0)
      expect(await panelQueries.deny_requests(client, params), tenant).toEqual(denies)
      const evaluations = await rows(
        client,
        `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, request_id, toString(pdp) AS pdp,
                toString(enforcement_point) AS enforcement_point, toString(policy_id) AS decision_path,
                toString(policy_revision) AS bundle_revision, toString(decision) AS decision,
                latency_ms AS eval_ms, cache_hit, dry_run
         FROM decision_events WHERE ${where} ORDER BY ts DESC, event_id LIMIT {limit:UInt32}`,
        range,
      )
      expect(evaluations.length).toBe(limit)
      expect(await panelQueries.policy_evaluations(client, params), tenant).toEqual(evaluations)
      const coverage = await rows(
        client,
        `SELECT service, countIf(mtls IS NOT NULL) AS observed, countIf(mtls = 'mutual') AS mutual,
                countIf(mtls = 'plaintext') AS plaintext, countIf(mtls IS NULL) AS unknown,
                if(observed = 0, NULL, mutual / observed) AS coverage
         FROM flow_events WHERE ${where} AND NOT ifNull(is_reply, false) AND dst_identity != ''
         GROUP BY service HAVING observed + unknown > 0
         ORDER BY coverage IS NULL, coverage, observed DESC, service LIMIT {limit:UInt32}`,
        range,
      )
      expect(coverage.length).toBeGreaterThan(0)
      expect(await panelQueries.mtls_coverage(client, params), tenant).toEqual(coverage)
      const egress = await rows(
        client,
        `SELECT dst_ip AS destination, dst_port, count() AS attempts, countIf(verdict != 'allowed') AS blocked,
                uniqExact(if(src_identity != '', src_identity, src_ip)) AS sources,
                groupUniqArray(if(src_identity != '', src_identity, src_ip)) AS all_sources,
                sum(bytes_sent) AS bytes_sent, toUnixTimestamp64Milli(max(ts)) AS last_ms
         FROM flow_events WHERE ${where} AND dst_identity = '' AND NOT ifNull(is_reply, false)
           AND isIPv4String(dst_ip) AND NOT (isIPAddressInRange(dst_ip, '10.0.0.0/8') OR isIPAddressInRange(dst_ip, '172.16.0.0/12')
             OR isIPAddressInRange(dst_ip, '192.168.0.0/16') OR isIPAddressInRange(dst_ip, '127.0.0.0/8')
             OR isIPAddressInRange(dst_ip, '169.254.0.0/16') OR isIPAddressInRange(dst_ip, '100.64.0.0/10'))
         GROUP BY dst_ip, dst_port ORDER BY attempts DESC, destination, dst_port LIMIT {limit:UInt32}`,
        range,
      )
      expect(egress.length).toBeGreaterThan(0)
      const answered = await panelQueries.egress_by_destination(client, params)
      // Any one source is an example: it must be one of the destination's.
      expect(answered.map(({ example_source: _example, ...row }) => row)).toEqual(
        egress.map(({ all_sources: _all, ...row }) => row),
      )
      for (const [i, row] of answered.entries()) expect(egress[i]?.all_sources).toContain(row.example_source)
    }
  }
}

// The raw entity page the index replaces: every event of the range whose columns hold the entity.
const RAW_MATCH: Record<Exclude<EntityKind, 'workload'>, [TimelineKind, string, string[]][]> = {
  spiffe: [
    ['flow', 'flow_events', ['src_identity', 'dst_identity']],
    ['decision', 'decision_events', ['src_identity', 'dst_identity']],
    ['mtls', 'mtls_events', ['src_identity', 'dst_identity']],
  ],
  ip: [
    ['flow', 'flow_events', ['src_ip', 'dst_ip']],
    ['auth', 'auth_events', ['client_ip']],
    ['decision', 'decision_events', ['client_ip']],
  ],
  user: [
    ['auth', 'auth_events', ['principal']],
    ['decision', 'decision_events', ['subject']],
    ['policy_change', 'policy_change_events', ['actor']],
  ],
  revision: [
    ['decision', 'decision_events', ['policy_revision']],
    ['policy_change', 'policy_change_events', ['revision', 'previous_revision']],
  ],
}

async function rawEntityEvents(tenant: string, kind: EntityKind, value: string, from: number, to: number) {
  const branches =
    kind === 'workload'
      ? (['flow', 'auth', 'decision', 'mtls', 'policy_change'] as const).map(
          (event): [TimelineKind, string, string[]] => [event, `${event}_events`, ['service']],
        )
      : RAW_MATCH[kind]
  const union = branches
    .map(
      ([event, table, columns]) =>
        `SELECT '${event}' AS kind, event_id AS id, toUnixTimestamp64Milli(ts) AS ts_ms, toString(service) AS service
         FROM ${table}
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
           AND (${columns.map((column) => `toString(${column}) = {value:String}`).join(' OR ')})`,
    )
    .join(' UNION ALL ')
  return rows<{ kind: string; id: string; ts_ms: number; service: string }>(
    client,
    `SELECT * FROM (${union}) ORDER BY ts_ms DESC, id`,
    { tenant, value, from, to },
  )
}

const entities: [string, EntityKind, string][] = [
  ['acme', 'spiffe', 'spiffe://acme.io/ns/edge/sa/svc-1'],
  ['acme', 'ip', '10.0.5.2'],
  ['globex', 'ip', '10.0.5.2'],
  ['acme', 'user', 'user-17@acme.io'],
  ['acme', 'revision', 'r3'],
  ['acme', 'workload', 'svc-8'],
  ['globex', 'workload', 'svc-8'],
]

async function expectEntityPagesAsRaw() {
  for (const [tenant, kind, value] of entities) {
    for (const [from, to, limit] of [
      [end - 24 * HOUR, end, 200],
      [end - 2 * HOUR - 5_000, end - HOUR, 50],
    ] as const) {
      const raw = await rawEntityEvents(tenant, kind, value, from, to)
      const label = `${tenant} ${kind} ${value}`
      expect(raw.length, label).toBeGreaterThan(0)
      const page = await queryEntityPage(client, { tenant, kind, value, from, to, limit })
      const events = page.timeline.filter((row) => row.kind !== 'finding' && row.kind !== 'notification')
      expect(
        events.map(({ kind: k, id, ts_ms, service }) => ({ kind: k, id, ts_ms, service })),
        label,
      ).toEqual(raw.slice(0, events.length))
      expect(page.timeline.length, label).toBe(Math.min(limit, raw.length))
      const counts: Record<string, number> = {}
      for (const row of raw) counts[row.kind] = (counts[row.kind] ?? 0) + 1
      expect(
        Object.fromEntries(
          Object.entries(page.counts).filter(([k]) => k !== 'finding' && k !== 'notification'),
        ),
        label,
      ).toEqual(counts)
      expect(page.lastSeenMs, label).toBeGreaterThanOrEqual(raw[0]?.ts_ms ?? 0)
      expect(page.firstSeenMs, label).toBeLessThanOrEqual(raw.at(-1)?.ts_ms ?? 0)
      // One kind only: the newest of that kind.
      const onlyKind = raw[0]?.kind as TimelineKind
      const only = await queryEntityPage(client, { tenant, kind, value, from, to, limit: 10, only: onlyKind })
      expect(
        only.timeline.map((row) => row.id),
        label,
      ).toEqual(
        raw
          .filter((row) => row.kind === onlyKind)
          .slice(0, 10)
          .map((row) => row.id),
      )
    }
  }
}

/** Peers from the edge rollups against the raw flows, connections as the format decided them. */
async function expectPeersAsRaw() {
  const from = end - 5 * HOUR - 12_345
  const to = end
  for (const [tenant, kind, value] of [
    ['acme', 'spiffe', 'spiffe://acme.io/ns/edge/sa/svc-1'],
    ['acme', 'workload', 'svc-8'],
  ] as const) {
    const self = (column: string) =>
      kind === 'spiffe' ? `${column} = {value:String}` : `endsWith(${column}, concat('/sa/', {value:String}))`
    const raw = await rows(
      client,
      `SELECT if(${self('src')}, dst, src) AS peer, if(${self('src')}, 'out', 'in') AS direction, port AS dst_port,
              count() AS flows, countIf(verdict IN ('dropped', 'denied')) AS blocked,
              toUnixTimestamp64Milli(max(ts)) AS last_seen_ms
       FROM (
         SELECT if(src_identity != '', src_identity, src_ip) AS sender, if(dst_identity != '', dst_identity, dst_ip) AS receiver,
                ifNull(is_reply, false) AS reply, if(reply, receiver, sender) AS src, if(reply, sender, receiver) AS dst,
                ifNull(server_port, dst_port) AS port, verdict, ts
         FROM flow_events
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       )
       WHERE ${self('src')} OR ${self('dst')}
       GROUP BY peer, direction, dst_port HAVING peer != ''
       ORDER BY flows DESC, peer, dst_port LIMIT 100`,
      { tenant, value, from, to },
    )
    expect(raw.length).toBeGreaterThan(2)
    const page = await queryEntityPage(client, { tenant, kind, value, from, to, limit: 100 })
    expect(page.peers, `${kind} ${value}`).toEqual(raw)
  }
}

describe('long-window rollups and entity indexes (migration 0018)', () => {
  it('splits SLO windows into whole hours and the minutes at their ends, each minute once per window', () => {
    const endS = Date.UTC(2026, 0, 2, 12, 23) / 1000
    const tiers = sloWindowTiers(endS, [300, 7200, 86_400])
    expect(tiers.tail).toBe(Date.UTC(2026, 0, 2, 12) / 1000)
    expect(tiers.starts).toEqual([endS - 300, endS - 7200, endS - 86_400])
    // 5m lies inside the current hour: minutes only; 2h and 24h start at 10:23 and 12:23 the day before.
    expect(tiers.hourStarts).toEqual([
      Date.UTC(2026, 0, 2, 13) / 1000,
      Date.UTC(2026, 0, 2, 11) / 1000,
      Date.UTC(2026, 0, 1, 13) / 1000,
    ])
    expect(tiers.minuteRanges).toEqual([
      [Date.UTC(2026, 0, 1, 12, 23) / 1000, Date.UTC(2026, 0, 1, 13) / 1000],
      [Date.UTC(2026, 0, 2, 10, 23) / 1000, Date.UTC(2026, 0, 2, 11) / 1000],
      [Date.UTC(2026, 0, 2, 12) / 1000, endS],
    ])
  })

  it('reads an hour of a burn-rate series whole only when no sample window starts or ends inside it', () => {
    const to = Date.UTC(2026, 0, 31, 12, 23) / 1000
    const from = to - 30 * 86_400 + 6 * 3600
    const tiers = burnRateTiers(from, to, 6 * 3600, 6 * 3600, 120)
    // Boundaries at hh:23 every 6 hours: one hour in six is read as minutes.
    const hourSeconds = tiers.hourRanges.reduce((sum, [a, b]) => sum + b - a, 0)
    const minuteSeconds = tiers.minuteRanges.reduce((sum, [a, b]) => sum + b - a, 0)
    expect(hourSeconds + minuteSeconds).toBe(30 * 86_400)
    expect(minuteSeconds).toBe(120 * 3600)
    for (const [a, b] of tiers.hourRanges) expect([a % 3600, b % 3600]).toEqual([0, 0])
    // A window every 8 minutes cuts every hour: minutes only.
    expect(burnRateTiers(to - 86_400, to, 480, 3600, 181).hourRanges).toEqual([])
  })

  it('backfills what was stored before it: SLO windows, decision panels and entity pages answer as the raw events', {
    timeout: 600_000,
  }, async () => {
    await insertSyntheticEvents(client, { tenant: 'acme', events: 150_000, from: start, to: end, seed: 1 })
    await insertSyntheticEvents(client, { tenant: 'globex', events: 20_000, from: start, to: end, seed: 2 })
    const applied = await migrate(client, { dir: migrationsDir })
    expect(applied).toContain(18)
    await expectSloWindowsAsRaw()
    await expectDecisionPanelsAsRaw()
    await expectEntityPagesAsRaw()
    await expectDebugPanelsAsRaw()
  })

  it('counts new events through the views as the raw events, tenant by tenant', {
    timeout: 600_000,
  }, async () => {
    // Overlapping the backfilled minutes and hours: rows of one minute and one hour merge across inserts.
    await insertSyntheticEvents(client, { tenant: 'acme', events: 60_000, from: start, to: end, seed: 3 })
    await insertSyntheticEvents(client, { tenant: 'globex', events: 8_000, from: start, to: end, seed: 4 })
    await client.command({
      query: `INSERT INTO policy_change_events (tenant, event_id, ts, observed_at, source, service, policy_id, revision,
                previous_revision, change_type, status, enforcement_point, actor, dry_run)
              SELECT 'acme', concat('pc-', toString(number)), fromUnixTimestamp64Milli({at:Int64} - number * 600000, 'UTC'),
                fromUnixTimestamp64Milli({at:Int64}, 'UTC'), 'argo', 'svc-8', 'authz.svc_8', 'r3', 'r2', 'rollout', 'applied',
                'gateway', 'user-17@acme.io', false
              FROM numbers(30)`,
      query_params: { at: end - 1000 },
    })
    await expectSloWindowsAsRaw()
    await expectBurnRateSeriesAsRaw()
    await expectDecisionPanelsAsRaw()
    await expectEntityPagesAsRaw()
    await expectPeersAsRaw()
    await expectDebugPanelsAsRaw()
  })

  it('puts findings about the entity in its timeline and counts, and another tenant sees none of them', async () => {
    const value = 'spiffe://acme.io/ns/edge/sa/svc-1'
    await createFindingStore(client).write(
      Array.from({ length: 3 }, (_, i) => ({
        finding_id: `f-${i}`,
        tenant: 'acme',
        ts: end - 10 - i,
        detected_at: end,
        rule: 'lateral.new_edge',
        severity: 'page' as const,
        title: `new edge ${i}`,
        summary: '',
        entities: { src_identity: value },
        evidence: {},
      })),
    )
    const page = await queryEntityPage(client, {
      tenant: 'acme',
      kind: 'spiffe',
      value,
      from: end - HOUR,
      to: end,
      limit: 5,
    })
    expect(page.timeline.slice(0, 3).map((row) => row.id)).toEqual(['f-0', 'f-1', 'f-2'])
    expect(page.counts.finding).toBe(3)
    expect(page.risk.score).toBe(30)
    const other = await queryEntityPage(client, {
      tenant: 'globex',
      kind: 'spiffe',
      value,
      from: end - HOUR,
      to: end,
      limit: 5,
    })
    expect(other.timeline).toEqual([])
    expect(other.counts).toEqual({})
  })
})
