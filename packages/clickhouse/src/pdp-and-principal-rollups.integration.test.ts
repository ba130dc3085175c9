import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { insertSyntheticEvents } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DashboardQueryParams } from './dashboard-queries.ts'
import { rows } from './dashboard-queries.ts'
import { type ClickHouseClient, openClickHouse } from './index.ts'
import { migrate } from './migrations.ts'
import { migrationsDir } from './migrations-dir.ts'
import { panelQueries } from './panel-queries.ts'

// Migration 0020: PDP health per minute and sign-ins per principal and hour. Each panel is checked
// against the raw query it replaced (the oracle, written here over the raw tables), after the
// migration's backfill of history stored before it and after new events through the views.

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
// Ends inside minutes and hours, so that every panel reads rollup rows and raw edges.
const to = Date.UTC(2026, 10, 23, 17, 41, 7, 5)
const start = to - 12 * DAY - 17 * MINUTE - 4_321

let client: ClickHouseClient
let dataDir: string
let beforeDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-pdp-principal-'))
  // The schema as it was before 0020, to load history the migration must backfill.
  beforeDir = mkdtempSync(join(tmpdir(), 'palisade-migrations-'))
  for (const file of readdirSync(migrationsDir).filter(
    (name) => /^\d{4}_/.test(name) && Number(name.slice(0, 4)) < 20,
  ))
    copyFileSync(join(migrationsDir, file), join(beforeDir, file))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: beforeDir })
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(beforeDir, { recursive: true, force: true })
})

/** `YYYY-MM-DD hh:mm:ss.fff` in UTC, as a DateTime64(3) column parses it. */
const dateTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

/** Sign-ins of principals that went quiet, some at the lookback's partial first hour, one failures only. */
async function insertQuietPrincipals(tenant: string, seed: number) {
  const signIns: [string, number, string][] = [
    // 30 days back, in the lookback's first (partial) hour: read from the raw sign-ins.
    [`edge-${seed}@${tenant}.io`, to - 30 * DAY + 5 * MINUTE, 'success'],
    // Just before the lookback: not counted at all.
    [`gone-${seed}@${tenant}.io`, to - 30 * DAY - 2 * MINUTE, 'success'],
    [`contractor-${seed}@${tenant}.io`, to - 10 * DAY, 'success'],
    [`contractor-${seed}@${tenant}.io`, to - 9 * DAY - 3 * HOUR, 'success'],
    [`contractor-${seed}@${tenant}.io`, to - 8 * DAY, 'failure'],
    [`locked-${seed}@${tenant}.io`, to - 12 * DAY, 'failure'],
    // Silent for exactly less than 7 days: not stale.
    [`recent-${seed}@${tenant}.io`, to - 7 * DAY + MINUTE, 'success'],
  ]
  await client.insert({
    table: 'auth_events',
    values: signIns.map(([principal, ts, outcome], i) => ({
      tenant,
      event_id: `quiet-${seed}-${i}`,
      ts: dateTime(ts),
      observed_at: dateTime(ts),
      source: 'okta',
      service: 'sso',
      principal,
      principal_type: 'user',
      outcome,
      failure_kind: outcome === 'failure' ? 'user' : '',
      reason: '',
      method: 'password',
      client_ip: '198.51.100.7',
      country: 'US',
      city: '',
      user_agent: 'Mozilla/5.0',
    })),
    format: 'JSONEachRow',
  })
}

const params = (tenant: string, from: number): DashboardQueryParams => ({
  tenant,
  from,
  to,
  stepMs: MINUTE,
  limit: 1000,
})

/** The stale identities as the raw query before 0020 answered them. */
async function rawStaleIdentities(tenant: string) {
  return rows(
    client,
    `SELECT principal, toString(any(principal_type)) AS principal_type,
            toUnixTimestamp64Milli(max(ts)) AS last_seen_ms,
            count() AS sign_ins,
            round((toUnixTimestamp64Milli(fromUnixTimestamp64Milli({to:Int64}, 'UTC')) - last_seen_ms) / 86400000, 1) AS silent_days
     FROM auth_events
     WHERE tenant = {tenant:String}
       AND ts >= fromUnixTimestamp64Milli({lookback_from:Int64}, 'UTC')
       AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       AND outcome = 'success'
     GROUP BY principal
     HAVING last_seen_ms < {stale_before:Int64}
     ORDER BY last_seen_ms, principal`,
    { tenant, to, lookback_from: to - 30 * DAY, stale_before: to - 7 * DAY },
  )
}

/** PDP health as the raw query before 0020 answered it; p95 exactly, to compare with the t-digest. */
async function rawPdpHealth(tenant: string, from: number) {
  return rows(
    client,
    `SELECT toString(enforcement_point) AS enforcement_point, toString(pdp) AS pdp,
            count() AS decisions,
            countIf(decision = 'error') AS errors,
            errors / decisions AS error_ratio,
            quantileExactIf(0.95)(latency_ms, latency_ms IS NOT NULL) AS p95_ms,
            toString(argMax(policy_revision, ts)) AS current_revision,
            uniqExact(policy_revision) AS revisions,
            toUnixTimestamp64Milli(max(ts)) AS last_seen_ms
     FROM decision_events
     WHERE tenant = {tenant:String}
       AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
       AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
     GROUP BY enforcement_point, pdp
     ORDER BY errors DESC, decisions DESC, enforcement_point`,
    { tenant, from, to },
  )
}

async function expectPanelsAsRaw() {
  for (const tenant of ['acme', 'globex']) {
    const stale = await panelQueries.stale_identities(client, params(tenant, to - DAY))
    expect(stale).toEqual(await rawStaleIdentities(tenant))
    const seed = tenant === 'acme' ? 1 : 2
    const names = stale.map((row) => row.principal)
    // Quiet since the lookback's partial first hour (raw), or since 9 days (hourly rows); failures
    // and sign-ins before the lookback do not count, nor a principal silent for under 7 days.
    expect(names).toEqual(
      expect.arrayContaining([`edge-${seed}@${tenant}.io`, `contractor-${seed}@${tenant}.io`]),
    )
    for (const quiet of ['gone', 'locked', 'recent'])
      expect(names).not.toContain(`${quiet}-${seed}@${tenant}.io`)
    expect(stale.find((row) => row.principal === `contractor-${seed}@${tenant}.io`)).toMatchObject({
      sign_ins: 2,
    })
    // Ranges that start inside a minute and span hours of minute rows.
    for (const from of [to - 6 * HOUR - 1_234, to - DAY + 59_999]) {
      const health = await panelQueries.pdp_health(client, params(tenant, from))
      const raw = await rawPdpHealth(tenant, from)
      expect(health.length).toBeGreaterThan(0)
      // Everything exactly but the t-digest's p95, which merges minute states (within 5 % here).
      expect(health.map(({ p95_ms: _p95, ...row }) => row)).toEqual(
        raw.map(({ p95_ms: _p95, ...row }) => row),
      )
      for (const [i, row] of health.entries())
        expect(Math.abs(Number(row.p95_ms) - Number(raw[i]?.p95_ms))).toBeLessThan(
          0.05 * Number(raw[i]?.p95_ms),
        )
    }
  }
}

describe('PDP health and sign-in rollups (migration 0020)', () => {
  it('backfills what was stored before it: PDP health and stale identities answer as the raw events', {
    timeout: 600_000,
  }, async () => {
    await insertSyntheticEvents(client, { tenant: 'acme', events: 120_000, from: start, to, seed: 1 })
    await insertSyntheticEvents(client, { tenant: 'globex', events: 20_000, from: start, to, seed: 2 })
    await insertQuietPrincipals('acme', 1)
    await insertQuietPrincipals('globex', 2)
    expect(await migrate(client, { dir: migrationsDir })).toContain(20)
    await expectPanelsAsRaw()
  })

  it('counts new events through the views as the raw events, tenant by tenant', {
    timeout: 600_000,
  }, async () => {
    // Overlapping the backfilled minutes and hours: rows of one minute and one hour merge across inserts.
    await insertSyntheticEvents(client, { tenant: 'acme', events: 40_000, from: start, to, seed: 3 })
    await insertSyntheticEvents(client, { tenant: 'globex', events: 8_000, from: start, to, seed: 4 })
    await expectPanelsAsRaw()
  })
})
