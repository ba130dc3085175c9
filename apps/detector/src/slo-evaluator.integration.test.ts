import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type ClickHouseClient,
  createEventWriter,
  createSloRollupReader,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { loadSloDirectory } from '@palisade/declarations'
import { type Alert, type AuthEvent, validateEvent } from '@palisade/schema'
import { createSloStatusReader, parseOpenSlo, type SloStatus } from '@palisade/slo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSloEvaluator, type SloEvaluator } from './slo-evaluator.ts'

// The real engine (chDB) in one temporary data directory for the whole file: one per process.
const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const t0 = Date.UTC(2026, 0, 15, 12, 0)
const sloDir = fileURLToPath(new URL('../../../alerts/slos', import.meta.url))

let client: ClickHouseClient
let dataDir: string
let clock = t0
let sent: Alert[][] = []
let evaluator: SloEvaluator

type Outcome = 'success' | 'user' | 'system'

/** `counts` auth attempts in the minute starting at `minute`, in the order success, user, system. */
function minuteOfAuth(
  tenant: string,
  service: string,
  minute: number,
  counts: Record<Outcome, number>,
): AuthEvent[] {
  const events: AuthEvent[] = []
  let j = 0
  for (const outcome of ['success', 'user', 'system'] as const) {
    for (let n = 0; n < counts[outcome]; n += 1, j += 1) {
      const record = {
        ts: minute + j * 50,
        service,
        principal: `user-${j}@${tenant}.io`,
        outcome: outcome === 'success' ? 'success' : 'failure',
        ...(outcome === 'success' ? {} : { failure_kind: outcome }),
        ...(outcome === 'user' ? { reason: 'wrong password' } : {}),
      }
      const result = validateEvent('auth', record, { tenant, observedAt: minute + MIN })
      if (!result.ok) throw new Error(result.reason)
      events.push(result.event)
    }
  }
  return events
}

/*
 * The data, all before t0 = 2026-01-15 12:00 UTC:
 * - steady/sso: every minute of the last 20h, 10 attempts with 3 wrong passwords; one system
 *   failure every 200 minutes, at 11:56, 08:36, ... (6 of 12,000: 0.05%).
 * - acme/sso: the last hour, 100 attempts a minute with 5 wrong passwords; 2 system failures a
 *   minute from 11:00 to 11:54, then 20 a minute from 11:55 to 11:59 (the burst).
 *   acme/vpn: 10 days ago, 20 minutes of 500 successful attempts (old traffic in the 30d window).
 * - clumsy/sso: the last hour, 50 attempts a minute of which 40 wrong passwords.
 */
function dataset(): AuthEvent[] {
  const events: AuthEvent[] = []
  for (let i = 0; i < 1200; i += 1) {
    const system = i % 200 === 3 ? 1 : 0
    events.push(
      ...minuteOfAuth('steady', 'sso', t0 - (i + 1) * MIN, { success: 7 - system, user: 3, system }),
    )
  }
  for (let i = 0; i < 60; i += 1) {
    const system = i < 5 ? 20 : 2
    events.push(...minuteOfAuth('acme', 'sso', t0 - (i + 1) * MIN, { success: 95 - system, user: 5, system }))
  }
  for (let i = 0; i < 20; i += 1) {
    events.push(...minuteOfAuth('acme', 'vpn', t0 - 10 * DAY + i * MIN, { success: 500, user: 0, system: 0 }))
  }
  for (let i = 0; i < 60; i += 1) {
    events.push(...minuteOfAuth('clumsy', 'sso', t0 - (i + 1) * MIN, { success: 10, user: 40, system: 0 }))
  }
  return events
}

function statusOf(statuses: SloStatus[], name: string): SloStatus {
  const status = statuses.find((s) => s.name === name)
  if (!status) throw new Error(`no status for ${name}`)
  return status
}

function burnOf(status: SloStatus, window: string): number {
  return status.burnRates.find((b) => b.window === window)?.burnRate ?? Number.NaN
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-slo-'))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: migrationsDir })
  const writer = createEventWriter(client)
  const events = dataset()
  for (let i = 0; i < events.length; i += 5000) {
    const { stored } = await writer.write('auth', events.slice(i, i + 5000))
    expect(stored).toHaveLength(Math.min(5000, events.length - i))
  }
  evaluator = createSloEvaluator({
    rollups: createSloRollupReader(client),
    slos: await loadSloDirectory(sloDir),
    now: () => clock,
    onAlerts: (alerts) => {
      sent.push(alerts)
    },
  })
})

afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

// Every SLO file in alerts/slos/, by name: the perimeter SLI catalogue of DOMAIN.md.
const catalogue = [
  'auth-success',
  'decision-availability',
  'decision-cache-hit',
  'decision-latency',
  'deny-ratio',
  'egress-block-rate',
  'false-deny-rate',
  'mtls-handshake',
  'policy-drift',
  'policy-rollout-errors',
  'posture-mismatch',
  'telemetry-completeness-decisions',
  'telemetry-completeness-flows',
  'time-to-detect',
  'time-to-revoke',
  'token-refresh',
  'unauthorized-attempts',
]

describe('SLO evaluator on the rollups', () => {
  it('loads the SLO files of the repository', () => {
    expect(evaluator.slos.map((slo) => slo.name)).toEqual(catalogue)
  })

  it('does not fire on a steady 0.05% system failure rate, even with a failure in the last 5 minutes', async () => {
    clock = t0
    const auth = statusOf(await evaluator.statuses('steady'), 'auth-success')
    expect(auth).toMatchObject({ total: 12_000, good: 12_000 - 6 })
    // One failure in the last 5 minutes burns the short window (1/50 = 2% → 20x), but the hour does not (1/600).
    expect(burnOf(auth, '5m')).toBeCloseTo(0.02 / 0.001, 6)
    expect(burnOf(auth, '1h')).toBeCloseTo(1 / 600 / 0.001, 6)
    expect(burnOf(auth, '3d')).toBeCloseTo(0.5, 6)
    expect(auth.tiers.some((tier) => tier.firing)).toBe(false)
  })

  it('fires the 14.4x page tier on a burst in the last 5 minutes over an elevated hour', async () => {
    clock = t0
    const auth = statusOf(await evaluator.statuses('acme'), 'auth-success')
    // 5m: 100 of 500 → 200x; 1h: 55×2 + 5×20 = 210 of 6,000 → 35x.
    expect(burnOf(auth, '5m')).toBeCloseTo(200, 6)
    expect(burnOf(auth, '1h')).toBeCloseTo(35, 6)
    // Every window holds only that hour, so every tier fires; the alert will name the 14.4x page tier.
    expect(auth.tiers.filter((t) => t.firing).map((t) => `${t.severity} ${t.threshold}`)).toEqual([
      'page 14.4',
      'page 6',
      'ticket 3',
      'ticket 1',
    ])
  })

  it('never counts wrong passwords as bad', async () => {
    clock = t0
    const auth = statusOf(await evaluator.statuses('clumsy'), 'auth-success')
    // 80% of attempts failed, all by the users' own mistake.
    expect(auth).toMatchObject({ total: 3000, good: 3000, sli: 1, budgetRemaining: 1 })
    expect(auth.burnRates.every((b) => b.burnRate === 0)).toBe(true)
  })

  it('computes the budget left over 30 days from counter sums', async () => {
    clock = t0
    const steady = statusOf(await evaluator.statuses('steady'), 'auth-success')
    // 1 - (6 / 12,000) / 0.001 = 1 - 0.5 = 0.5, by hand.
    expect(steady.budgetRemaining).toBeCloseTo(0.5, 9)
    expect(steady.sli).toBeCloseTo(0.9995, 9)
    // acme: 210 bad of 6,000 + 10,000 (old vpn traffic counts in 30d): 1 - 0.013125 / 0.001 = -12.125.
    const acme = statusOf(await evaluator.statuses('acme'), 'auth-success')
    expect(acme).toMatchObject({ total: 16_000, good: 16_000 - 210 })
    expect(acme.budgetRemaining).toBeCloseTo(-12.125, 6)
  })

  it('says how much of the 30-day window the data covers, from the first minute with traffic', async () => {
    clock = t0 + 30_000
    const steady = statusOf(await evaluator.statuses('steady'), 'auth-success')
    expect(steady.coverage).toEqual({
      windowMs: 30 * DAY,
      from: t0 - 20 * HOUR,
      to: t0,
      coveredMs: 20 * HOUR,
      covered: '20h',
      complete: false,
    })
    expect(steady.budget).toMatchObject({ over: 'covered', bad: 6, currentBurnWindow: '1h' })
    // acme's old vpn traffic 10 days ago starts its coverage.
    const acme = statusOf(await evaluator.statuses('acme'), 'auth-success')
    expect(acme.coverage).toMatchObject({ from: t0 - 10 * DAY, covered: '10d', complete: false })
    // Spent already: -1212.5% left.
    expect(acme.budget.exhaustsInMs).toBe(0)
    const nobody = statusOf(await evaluator.statuses('nobody'), 'auth-success')
    expect(nobody.coverage).toMatchObject({ from: null, coveredMs: 0 })
    clock = t0
  })

  it('draws the budget burn-down over the 30-day window from cumulated rollup sums', async () => {
    clock = t0
    const burnDown = await evaluator.budgetBurnDown('acme', 'auth-success')
    expect(burnDown).toMatchObject({ slo: 'auth-success', window: '30d', from: t0 - 30 * DAY, to: t0 })
    expect(burnDown.stepMs).toBe(6 * HOUR)
    expect(burnDown.points).toHaveLength(121)
    expect(burnDown.points[0]).toEqual({ ts: t0 - 30 * DAY, bad: 0, total: 0, budgetRemaining: 1 })
    // The vpn's 10,000 good attempts 10 days ago fall in the step ending 20d + 6h after the start.
    const vpnStep = burnDown.points.findIndex((p) => p.total > 0)
    expect(burnDown.points[vpnStep]).toMatchObject({ ts: t0 - 10 * DAY + 6 * HOUR, bad: 0, total: 10_000 })
    expect(burnDown.points[vpnStep]?.budgetRemaining).toBe(1)
    // The last point is the budget of the status: 210 bad of 16,000.
    const last = burnDown.points.at(-1)
    expect(last).toMatchObject({ ts: t0, bad: 210, total: 16_000 })
    expect(last?.budgetRemaining).toBeCloseTo(-12.125, 6)
    await expect(evaluator.budgetBurnDown('acme', 'no-such-slo')).rejects.toMatchObject({
      code: 'SLO_NOT_FOUND',
    })
  })

  it('budgets by time slices: a slice is bad when its good fraction misses the slice target', async () => {
    const timeslices = (slice: string, sliceTarget: number) =>
      parseOpenSlo(`
apiVersion: openslo/v1
kind: SLO
metadata: { name: auth-minutes }
spec:
  service: sso
  budgetingMethod: Timeslices
  timeWindow: [{ duration: 30d, isRolling: true }]
  objectives: [{ target: 0.99, timeSliceTarget: ${sliceTarget}, timeSliceWindow: ${slice} }]
  indicator:
    spec:
      ratioMetric:
        counter: true
        bad: { metricSource: { type: Palisade, spec: { rollup: auth, column: system_failures } } }
        total: { metricSource: { type: Palisade, spec: { rollup: auth, column: attempts } } }
`)
    const read = async (slice: string, sliceTarget: number, tenant: string) => {
      const reader = createSloStatusReader({
        rollups: createSloRollupReader(client),
        slos: timeslices(slice, sliceTarget),
        now: () => t0,
      })
      return statusOf(await reader.statuses(tenant), 'auth-minutes')
    }
    // steady: 1,200 one-minute slices of 10 attempts; the 6 with a system failure are 9/10 < 0.95.
    expect(await read('1m', 0.95, 'steady')).toMatchObject({ total: 1200, good: 1194 })
    // The same failures in 5-minute slices are 49/50 ≥ 0.95: no bad slice.
    expect(await read('5m', 0.95, 'steady')).toMatchObject({ total: 240, good: 240 })
    // acme's hour misses 0.99 every minute (at best 98 of 100); its 20 vpn minutes do not.
    const acme = await read('1m', 0.99, 'acme')
    expect(acme).toMatchObject({ total: 80, good: 20 })
    expect(acme.burnRates.find((b) => b.window === '1h')?.burnRate).toBeCloseTo(100, 6)
    // 98 of 100 meets a 0.98 target exactly (100 × 0.98 is 98.00000000000001 in binary floats):
    // only the 5 burst minutes (80 of 100) are bad.
    expect(await read('1m', 0.98, 'acme')).toMatchObject({ total: 80, good: 75 })
  })

  it('keeps tenants apart: one tenant never sees another tenant’s attempts or failures', async () => {
    clock = t0
    const nobody = await evaluator.statuses('nobody')
    expect(nobody.map((s) => [s.name, s.total, s.budgetRemaining])).toEqual(
      catalogue.map((name) => [name, 0, 1]),
    )
    const steady = statusOf(await evaluator.statuses('steady'), 'auth-success')
    expect([steady.total, steady.total - steady.good]).toEqual([12_000, 6])
  })

  it('draws the burn-rate series from the rollups', async () => {
    const series = await evaluator.burnRateSeries('acme', 'auth-success', {
      from: t0 - 2 * HOUR,
      to: t0,
      stepMs: 30 * MIN,
      windowMs: HOUR,
    })
    expect(series.map((p) => p.ts)).toEqual([t0 - 2 * HOUR, t0 - 90 * MIN, t0 - HOUR, t0 - 30 * MIN, t0])
    // At 11:30 the hour holds 11:00-11:29 (2 of 100 a minute: 20x); at 12:00 the whole burst (35x).
    expect(series.map((p) => Number(p.burnRate.toFixed(6)))).toEqual([0, 0, 0, 20, 35])
    await expect(
      evaluator.burnRateSeries('acme', 'no-such-slo', { from: t0, to: t0, stepMs: MIN }),
    ).rejects.toMatchObject({
      code: 'SLO_NOT_FOUND',
    })
  })

  it('pages for the tenant that burns only, re-sends while firing, and resolves once when it stops', async () => {
    sent = []
    clock = t0
    // auth-success alone: the wrong passwords of this data rightly burn unauthorized-attempts too.
    const evaluator = createSloEvaluator({
      rollups: createSloRollupReader(client),
      slos: (await loadSloDirectory(sloDir)).filter((slo) => slo.name === 'auth-success'),
      now: () => clock,
      onAlerts: (alerts) => {
        sent.push(alerts)
      },
    })
    const first = await evaluator.evaluateAll()
    expect(first).toHaveLength(1)
    expect(first[0]).toMatchObject({
      tenant: 'acme',
      status: 'firing',
      starts_at: t0,
      labels: { alertname: 'SLOBurnRate', slo: 'auth-success', service: 'identity', severity: 'page' },
    })
    expect(first[0]?.annotations.tier).toBe('14.4x over 1h and 5m')
    expect(sent).toEqual([first])

    // Seconds later, same minute: the same alert again (the router dedupes), same starts_at.
    clock = t0 + 20_000
    const again = await evaluator.evaluateAll()
    expect(again.map((a) => [a.tenant, a.status, a.labels, a.starts_at])).toEqual([
      ['acme', 'firing', first[0]?.labels, t0],
    ])

    // A day later the short windows are quiet: resolved once, then nothing.
    clock = t0 + DAY
    const resolved = await evaluator.evaluateAll()
    expect(resolved).toEqual([
      expect.objectContaining({
        tenant: 'acme',
        status: 'resolved',
        starts_at: t0,
        ends_at: t0 + DAY,
        labels: first[0]?.labels,
      }),
    ])
    expect(await evaluator.evaluateAll()).toEqual([])
    expect(sent).toHaveLength(3)
  })

  it('pages unauthorized-attempts for the tenant whose attempts are mostly wrong passwords', async () => {
    clock = t0
    const clumsy = statusOf(await evaluator.statuses('clumsy'), 'unauthorized-attempts')
    // 40 of 50 attempts a minute refused: 80% against 0.1% allowed, an 800x burn.
    expect(clumsy.burnRates.find((b) => b.window === '1h')?.burnRate).toBeCloseTo(800, 6)
    expect(clumsy.tiers[0]?.firing).toBe(true)
    // ... while auth-success, which does not count user mistakes, is quiet for it.
    expect(statusOf(await evaluator.statuses('clumsy'), 'auth-success').tiers.some((t) => t.firing)).toBe(
      false,
    )
  })
})
