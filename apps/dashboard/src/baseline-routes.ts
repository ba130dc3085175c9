import { type ClickHouseClient, dashboardQueries, isDashboardQueryName } from '@palisade/clickhouse'
import type { Dashboard } from '@palisade/declarations'
import { allow, sendError } from '@palisade/http-server'
import express, { type Router } from 'express'
import { baselineBand } from './baseline-band.ts'
import { RequestInvalidError } from './errors.ts'
import { parseBaselineParams } from './request-params.ts'

/** What {@link createBaselineRoutes} needs. */
export interface BaselineRoutesOptions {
  client: ClickHouseClient
  /** The declared dashboards: only their time-series queries have bands. */
  dashboards: ReadonlyMap<string, Dashboard>
  now: () => number
}

const DAY = 24 * 3600_000
/** The quantiles the band spans. */
const LOW = 0.1
const HIGH = 0.9

/**
 * `GET /api/v1/panels/:query/baseline?field=…&days=7`: the usual range of a series at each time
 * of day, the p10–p90 (and median) of `field` in the same bucket of each of the `days` days
 * before, read by the same rollup query over each earlier copy of the range. The cost is bounded:
 * `days` (≤ 14) reads of a range of at most two days, each a read of the rollups the panel itself
 * makes. Only queries a declared time-series panel uses answer. Mount behind authentication.
 */
export function createBaselineRoutes(options: BaselineRoutesOptions): Router {
  const seriesQueries = new Set(
    [...options.dashboards.values()].flatMap((dashboard) =>
      dashboard.panels.flatMap((panel) => (panel.type === 'timeseries' ? [panel.query] : [])),
    ),
  )
  const router = express.Router()
  router.get('/api/v1/panels/:query/baseline', allow('read'), async (request, response) => {
    const name = String(request.params.query ?? '')
    if (!isDashboardQueryName(name) || !seriesQueries.has(name)) {
      sendError(response, 404, 'NOT_FOUND', `no time series query named "${name}"`)
      return
    }
    let params: ReturnType<typeof parseBaselineParams>
    try {
      params = parseBaselineParams(request.query, options.now())
    } catch (error) {
      if (error instanceof RequestInvalidError) {
        sendError(response, 400, 'BAD_REQUEST', error.message)
        return
      }
      throw error
    }
    if (!request.principal) throw new Error('route reached without a principal')
    const tenant = request.principal.tenant
    const days = await Promise.all(
      Array.from({ length: params.days }, async (_, index) => {
        const shiftMs = (index + 1) * DAY
        const rows = await dashboardQueries[name](options.client, {
          tenant,
          from: params.from - shiftMs,
          to: params.to - shiftMs,
          stepMs: params.stepMs,
          limit: 1000,
        })
        return { shiftMs, rows }
      }),
    )
    response.json({
      query: name,
      field: params.field,
      from: params.from,
      to: params.to,
      stepMs: params.stepMs,
      days: params.days,
      quantiles: [LOW, HIGH],
      points: baselineBand(days, {
        field: params.field,
        stepMs: params.stepMs,
        from: params.from,
        to: params.to,
        low: LOW,
        high: HIGH,
      }),
    })
  })
  return router
}
