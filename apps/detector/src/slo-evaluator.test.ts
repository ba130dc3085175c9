import { type ClickHouseClient, createSloRollupReader, sloRollupTables } from '@palisade/clickhouse'
import type { Alert } from '@palisade/schema'
import { parseOpenSlo, rollupCounters } from '@palisade/slo'
import { describe, expect, it } from 'vitest'
import { createSloEvaluator } from './slo-evaluator.ts'

const MIN = 60_000
const t0 = Date.UTC(2026, 0, 15, 12)

const [slo] = parseOpenSlo(`
apiVersion: openslo/v1
kind: SLO
metadata: { name: auth-success }
spec:
  service: identity
  budgetingMethod: Occurrences
  timeWindow: [{ duration: 30d, isRolling: true }]
  objectives: [{ target: 0.999 }]
  indicator:
    spec:
      ratioMetric:
        counter: true
        bad: { metricSource: { type: Palisade, spec: { rollup: auth, column: system_failures } } }
        total: { metricSource: { type: Palisade, spec: { rollup: auth, column: attempts } } }
`)
if (!slo) throw new Error('fixture SLO did not parse')

// One SLO query per `q<i>_` parameter prefix (the store reads several SLOs in one statement);
// `starts`: one start per window (the query reads whole hours from the hourly rollup, the rest by minute).
type Params = Record<string, unknown>
type Asked = { tenant: string | null; starts: number[] }

/**
 * A stand-in for the store that answers the window query with `bad` of `total` in every window
 * for the tenants `burning()` names; the real SQL is covered by the integration test. A query
 * without a tenant condition is the every-tenant sweep.
 */
function fakeClient(burning: () => Record<string, { bad: number; total: number }>) {
  const seen: Asked[] = []
  const client = {
    async query({ query, query_params }: { query: string; query_params: Params }) {
      const rows = Object.keys(query_params)
        .flatMap((name) => /^q(\d+)_starts$/.exec(name)?.[1] ?? [])
        .flatMap((index) => {
          const filtered = query.includes(`tenant = {q${index}_tenant:String}`)
          const asked: Asked = {
            tenant: filtered ? String(query_params[`q${index}_tenant`]) : null,
            starts: query_params[`q${index}_starts`] as number[],
          }
          seen.push(asked)
          return Object.entries(burning())
            .filter(([tenant]) => asked.tenant === null || tenant === asked.tenant)
            .map(([tenant, { bad, total }]) => ({
              query_index: Number(index),
              tenant,
              bad: asked.starts.map(() => bad),
              total: asked.starts.map(() => total),
            }))
        })
      return { json: async () => rows }
    },
  }
  // Only `query` is used by the SLO queries; the cast keeps the fake small.
  return { client: client as unknown as ClickHouseClient, seen }
}

describe('createSloEvaluator', () => {
  it('reads the same rollup counters as the store whitelists', () => {
    const storeCounters = Object.fromEntries(
      Object.entries(sloRollupTables).map(([name, t]) => [name, t.counters]),
    )
    expect(storeCounters).toEqual(rollupCounters)
  })

  it('answers a tenant without traffic with a full budget, filtering the query on that tenant', async () => {
    const { client, seen } = fakeClient(() => ({ acme: { bad: 50, total: 1000 } }))
    const evaluator = createSloEvaluator({
      rollups: createSloRollupReader(client),
      slos: [slo],
      now: () => t0,
      onAlerts: () => {},
    })
    const [status] = await evaluator.statuses('nobody')
    expect(status).toMatchObject({
      name: 'auth-success',
      total: 0,
      sli: 1,
      budgetRemaining: 1,
      evaluatedAt: t0,
    })
    expect(seen[0]?.tenant).toBe('nobody')
  })

  it('resolves a tenant that was firing and has no rollup rows any more', async () => {
    let data: Record<string, { bad: number; total: number }> = {
      acme: { bad: 50, total: 1000 },
      calm: { bad: 0, total: 10 },
    }
    const { client } = fakeClient(() => data)
    let clock = t0
    const evaluator = createSloEvaluator({
      rollups: createSloRollupReader(client),
      slos: [slo],
      now: () => clock,
      onAlerts: () => {},
    })
    expect((await evaluator.evaluateAll()).map((a) => [a.tenant, a.status])).toEqual([['acme', 'firing']])
    data = {}
    clock = t0 + MIN
    expect((await evaluator.evaluateAll()).map((a) => [a.tenant, a.status, a.ends_at])).toEqual([
      ['acme', 'resolved', t0 + MIN],
    ])
    expect(await evaluator.evaluateAll()).toEqual([])
  })

  it('keeps its state when onAlerts fails, so the resolve is sent again next time', async () => {
    let data: Record<string, { bad: number; total: number }> = { acme: { bad: 50, total: 1000 } }
    const { client } = fakeClient(() => data)
    const delivered: Alert[][] = []
    let failNext = false
    const evaluator = createSloEvaluator({
      rollups: createSloRollupReader(client),
      slos: [slo],
      now: () => t0,
      onAlerts: (alerts) => {
        if (failNext) throw new Error('router unreachable')
        delivered.push(alerts)
      },
    })
    await evaluator.evaluateAll()
    data = {}
    failNext = true
    await expect(evaluator.evaluateAll()).rejects.toThrow('router unreachable')
    failNext = false
    await evaluator.evaluateAll()
    expect(delivered.map((alerts) => alerts.map((a) => a.status))).toEqual([['firing'], ['resolved']])
  })

  it('rejects with a retriable store error when the query fails', async () => {
    const client = {
      query: async () => {
        throw new Error('connection reset')
      },
    } as unknown as ClickHouseClient
    const evaluator = createSloEvaluator({
      rollups: createSloRollupReader(client),
      slos: [slo],
      now: () => t0,
      onAlerts: () => {},
    })
    await expect(evaluator.evaluateAll()).rejects.toMatchObject({ code: 'QUERY_FAILED', retriable: true })
  })
})
