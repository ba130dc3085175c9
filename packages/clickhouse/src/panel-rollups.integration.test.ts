import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultRetentionDays } from '@palisade/schema'
import { insertSyntheticEvents, rawPanelQueries } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DashboardQueryParams, dashboardQueries, rollupTiers, rows } from './dashboard-queries.ts'
import { applyEventRetention } from './event-retention.ts'
import { type ClickHouseClient, openClickHouse } from './index.ts'
import { migrate } from './migrations.ts'
import { migrationsDir } from './migrations-dir.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
// Not aligned to a minute: the data's ends fall inside minutes, as real data does.
const start = Date.UTC(2026, 10, 23, 7, 17, 23, 411)
const end = start + 5 * HOUR + 7 * MINUTE + 5_555

/** Ranges a dashboard asks for: whole data, aligned and unaligned ends, inside one minute, one hour. */
const ranges: [string, number, number, number][] = [
  ['the whole data, unaligned ends', start - 1, end + 1, 1000],
  ['whole hours exactly', Date.UTC(2026, 10, 23, 8), Date.UTC(2026, 10, 23, 11) - 1, 1000],
  [
    'partial minutes across hours',
    Date.UTC(2026, 10, 23, 8, 59, 30, 7),
    Date.UTC(2026, 10, 23, 10, 0, 12, 9),
    1000,
  ],
  ['inside one minute', Date.UTC(2026, 10, 23, 9, 3, 10), Date.UTC(2026, 10, 23, 9, 3, 50), 1000],
  ['inside one hour', Date.UTC(2026, 10, 23, 9, 3, 10), Date.UTC(2026, 10, 23, 9, 47, 50), 1000],
  ['a top 7 of six hours', start, end, 7],
  ['ending on a minute boundary', Date.UTC(2026, 10, 23, 9, 0, 0, 1), Date.UTC(2026, 10, 23, 10, 30), 1000],
]

let client: ClickHouseClient
let dataDir: string
let beforeDir: string

function params(tenant: string, from: number, to: number, limit: number): DashboardQueryParams {
  return { tenant, from, to, limit, stepMs: MINUTE }
}

/**
 * The graph's flow edges with the columns the raw query answers: the graph also answers request
 * and handshake edges (flows 0, after every flow edge) and, since 0015, namespaces, mTLS and rates
 * (tested in service-graph.integration.test.ts).
 */
async function flowGraph(tenant: string, from: number, to: number, limit: number) {
  const graph = await dashboardQueries.service_graph(client, params(tenant, from, to, limit))
  return graph
    .filter((edge) => Number(edge.flows) > 0)
    .map(({ src, dst, dst_port, flows, blocked, bytes, first_seen_ms, last_seen_ms }) => ({
      src,
      dst,
      dst_port,
      flows,
      blocked,
      bytes,
      first_seen_ms,
      last_seen_ms,
    }))
}

async function rawAnswers(tenant: string) {
  return Promise.all(
    ranges.map(async ([, from, to, limit]) => ({
      graph: await rows(client, rawPanelQueries.service_graph, { tenant, from, to, limit }),
      denied: await rows(client, rawPanelQueries.top_denied, { tenant, from, to, limit }),
    })),
  )
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-rollups-'))
  // The schema as it was before the rollups, to load history the migration must backfill.
  beforeDir = mkdtempSync(join(tmpdir(), 'palisade-migrations-'))
  for (const file of readdirSync(migrationsDir).filter((name) => /^000[1-8]_/.test(name)))
    copyFileSync(join(migrationsDir, file), join(beforeDir, file))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: beforeDir })
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(beforeDir, { recursive: true, force: true })
})

describe('panel rollups (migration 0009)', () => {
  it('splits a range into whole hours, whole minutes and raw ends that cover it once', () => {
    const from = Date.UTC(2026, 0, 1, 8, 59, 30, 7)
    const to = Date.UTC(2026, 0, 1, 11, 0, 12, 9)
    expect(rollupTiers({ from, to })).toEqual({
      minute_start: Date.UTC(2026, 0, 1, 9, 0),
      minute_end: Date.UTC(2026, 0, 1, 11, 0),
      hour_start: Date.UTC(2026, 0, 1, 9),
      hour_end: Date.UTC(2026, 0, 1, 11),
    })
    const inside = rollupTiers({ from: Date.UTC(2026, 0, 1, 9, 3, 10), to: Date.UTC(2026, 0, 1, 9, 3, 50) })
    expect(inside.minute_end).toBe(inside.minute_start)
    expect(inside.hour_end).toBe(inside.hour_start)
  })

  it('backfills the history stored before it, so the graph and the denies answer as the raw queries did', async () => {
    await insertSyntheticEvents(client, { tenant: 'acme', events: 120_000, from: start, to: end, seed: 1 })
    await insertSyntheticEvents(client, { tenant: 'globex', events: 8_000, from: start, to: end, seed: 2 })
    const before = await rawAnswers('acme')
    expect(before[0]?.graph.length).toBeGreaterThan(100)
    expect(before[0]?.denied.length).toBeGreaterThan(500)

    const applied = await migrate(client, { dir: migrationsDir })
    expect(applied).toContain(9)
    for (const [index, [, from, to, limit]] of ranges.entries()) {
      expect(await flowGraph('acme', from, to, limit)).toEqual(before[index]?.graph)
      expect(await dashboardQueries.top_denied(client, params('acme', from, to, limit))).toEqual(
        before[index]?.denied,
      )
    }
  })

  it('counts new events through the views exactly as the raw queries count them, tenant by tenant', async () => {
    // Overlapping the backfilled minutes: rollup rows of one minute merge across inserts.
    await insertSyntheticEvents(client, { tenant: 'acme', events: 60_000, from: start, to: end, seed: 3 })
    await insertSyntheticEvents(client, { tenant: 'globex', events: 6_000, from: start, to: end, seed: 4 })
    for (const tenant of ['acme', 'globex']) {
      const raw = await rawAnswers(tenant)
      for (const [index, [name, from, to, limit]] of ranges.entries()) {
        const graph = await flowGraph(tenant, from, to, limit)
        expect(graph, `${tenant}: ${name}`).toEqual(raw[index]?.graph)
        const denied = await dashboardQueries.top_denied(client, params(tenant, from, to, limit))
        expect(denied, `${tenant}: ${name}`).toEqual(raw[index]?.denied)
      }
    }
    const [globexGraph] = await rawAnswers('globex')
    expect(JSON.stringify(globexGraph)).not.toContain('acme.io')
  })

  it('keeps requests, enforced denies and the mTLS share per edge, and the hours sum the minutes', async () => {
    const [fromRollup] = await rows<Record<string, number>>(
      client,
      `SELECT sum(requests) AS requests, sum(request_denies) AS denies, sum(mutual_flows) AS mutual,
              sum(mtls_known_flows) AS known, sum(flows) AS flows
       FROM service_edge_rollup_1m WHERE tenant = 'acme'`,
      {},
    )
    const [fromRaw] = await rows<Record<string, number>>(
      client,
      `SELECT (SELECT count() FROM decision_events WHERE tenant = 'acme') AS requests,
              (SELECT countIf(decision = 'deny' AND NOT dry_run) FROM decision_events WHERE tenant = 'acme') AS denies,
              (SELECT countIf(mtls = 'mutual') FROM flow_events WHERE tenant = 'acme') AS mutual,
              (SELECT countIf(mtls IS NOT NULL) FROM flow_events WHERE tenant = 'acme') AS known,
              (SELECT count() FROM flow_events WHERE tenant = 'acme') AS flows`,
      {},
    )
    expect(fromRollup).toEqual(fromRaw)
    expect(fromRaw?.denies).toBeGreaterThan(0)
    const [hours] = await rows<Record<string, number>>(
      client,
      `SELECT sum(flows) AS flows, sum(requests) AS requests FROM service_edge_rollup_1h WHERE tenant = 'acme'`,
      {},
    )
    expect(hours).toEqual({ flows: fromRaw?.flows, requests: fromRaw?.requests })
  })

  it('keeps the enforced denies as long as the decision events', async () => {
    await applyEventRetention(client, defaultRetentionDays)
    const changed = await applyEventRetention(client, { ...defaultRetentionDays, decision: 45 })
    expect(changed).toEqual([
      'decision_events',
      'decision_denies',
      'decision_entity_index',
      'decision_failed_requests',
      'decision_request_index',
    ])
    const [row] = await rows<{ engine_full: string }>(
      client,
      `SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'decision_denies'`,
      {},
    )
    expect(row?.engine_full).toContain('TTL ts + toIntervalDay(45) ')
  })

  it('keeps sign-ins per principal, which name people, as long as the sign-ins', async () => {
    await applyEventRetention(client, defaultRetentionDays)
    const changed = await applyEventRetention(client, { ...defaultRetentionDays, auth: 14 })
    expect(changed).toEqual(['auth_events', 'auth_entity_index', 'principal_sign_in_rollup_1h'])
    const [row] = await rows<{ engine_full: string }>(
      client,
      `SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'principal_sign_in_rollup_1h'`,
      {},
    )
    expect(row?.engine_full).toContain('TTL hour + toIntervalDay(14) ')
    expect(await applyEventRetention(client, { ...defaultRetentionDays, auth: 14 })).toEqual([])
  })
})
