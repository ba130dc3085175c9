import { loadDashboards } from '@palisade/declarations'
import {
  type DashboardTestServer,
  seedBaselineDays,
  startDashboardTestServer,
  testTokens,
} from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// Baseline bands over a real embedded ClickHouse: the seeded day, and seven earlier days whose
// deny ratio is 0 %, 5 % or 10 % by day.
let server: DashboardTestServer

beforeAll(async () => {
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({ ...store, dashboards: loadDashboards(defaultDashboardsDir) }),
  )
  await seedBaselineDays(server.client, { tenant: 'acme', now: server.now })
})
afterAll(() => server?.close())

type Point = { ts_ms: number; low: number; median: number; high: number; samples: number }

async function band(query: string, params: string, tenant: keyof typeof testTokens = 'acme') {
  const response = await fetch(`${server.base}/api/v1/panels/${query}/baseline?${params}`, {
    headers: { authorization: `Bearer ${testTokens[tenant]}` },
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('dashboard API > baseline bands', () => {
  it('answers p10, median and p90 of the same bucket on each of the seven days before', async () => {
    const from = server.now - 6 * 3600_000
    const { status, body } = await band('deny_ratio_series', `from=${from}&to=${server.now}&field=deny_ratio`)
    expect(status).toBe(200)
    expect(body).toMatchObject({ field: 'deny_ratio', days: 7, quantiles: [0.1, 0.9], stepMs: 120_000 })
    const points = body.points as Point[]
    expect(points.length).toBeGreaterThan(150)
    for (const point of points) {
      expect(point.ts_ms % 120_000).toBe(0)
      expect(point.ts_ms + 120_000).toBeGreaterThan(from)
      expect(point.low).toBeLessThanOrEqual(point.median)
      expect(point.median).toBeLessThanOrEqual(point.high)
    }
    // Days deny 0, 5 or 10 %: the band runs from 0 to 10 %, the median at 5 %.
    const whole = points.filter((p) => p.samples === 7)
    expect(whole.length).toBeGreaterThan(150)
    const most = (values: number[]) =>
      values.sort((a, b) => values.filter((v) => v === b).length - values.filter((v) => v === a).length)[0]
    expect(most(whole.map((p) => p.high))).toBeCloseTo(0.1, 10)
    expect(most(whole.map((p) => p.median))).toBeCloseTo(0.05, 10)
    expect(most(whole.map((p) => p.low))).toBe(0)
  })

  it('answers a tenant only its own earlier days', async () => {
    const { status, body } = await band('deny_ratio_series', 'field=deny_ratio', 'globex')
    expect(status).toBe(200)
    expect(body.points).toEqual([])
  })

  it('refuses a query no time series declares, a missing field, a long range and too many days', async () => {
    expect((await band('service_graph', 'field=flows')).status).toBe(404)
    expect((await band('no_such_query', 'field=x')).status).toBe(404)
    const missing = await band('deny_ratio_series', '')
    expect(missing.status).toBe(400)
    expect(JSON.stringify(missing.body)).toContain('field')
    expect((await band('deny_ratio_series', 'field=deny_ratio&from=now-3d')).status).toBe(400)
    expect((await band('deny_ratio_series', 'field=deny_ratio&days=30')).status).toBe(400)
    expect((await band('deny_ratio_series', 'field=deny_ratio&days=2')).status).toBe(400)
  })
})
