import { type ClickHouseClient, dashboardQueries } from '@palisade/clickhouse'
import { allow, sendError } from '@palisade/http-server'
import { type DeclaredIntent, intentCoverage } from '@palisade/intent'
import express, { type Router } from 'express'
import { RequestInvalidError } from './errors.ts'
import { parseInvestigationParams } from './request-params.ts'

/** What {@link createComplianceRoutes} needs. */
export interface ComplianceRoutesOptions {
  client: ClickHouseClient
  /** The declared intent (alerts/intent/); without it the posture says nothing is declared. */
  intent?: DeclaredIntent
  now: () => number
}

/** Most observed edges compared with the intent per request. */
const MAX_EDGES = 1_000

/**
 * `GET /api/v1/compliance`: the executive posture from declared intent against the traffic
 * observed in the range: policy-as-code coverage of edges, default-deny and STRICT mTLS coverage of
 * destinations. Mount behind the dashboard's authentication.
 */
export function createComplianceRoutes(options: ComplianceRoutesOptions): Router {
  const router = express.Router()
  router.get('/api/v1/compliance', allow('read'), async (request, response) => {
    let params: ReturnType<typeof parseInvestigationParams>
    try {
      params = parseInvestigationParams(request.query, options.now())
    } catch (error) {
      if (error instanceof RequestInvalidError) {
        sendError(response, 400, 'BAD_REQUEST', error.message)
        return
      }
      throw error
    }
    if (!request.principal) throw new Error('route reached without a principal')
    if (!options.intent) {
      response.json({ declared: false, from: params.from, to: params.to })
      return
    }
    const edges = await dashboardQueries.service_graph(options.client, {
      tenant: request.principal.tenant,
      from: params.from,
      to: params.to,
      stepMs: 60_000,
      limit: MAX_EDGES,
    })
    // Intent is compared with the connections flows showed, as before the graph also answered
    // request rows (no port) and handshake-only rows.
    const observed = edges
      .filter((edge) => Number(edge.flows) > 0)
      .map((edge) => ({
        src: String(edge.src ?? ''),
        dst: String(edge.dst ?? ''),
        port: Number(edge.dst_port ?? 0),
      }))
    response.json({
      declared: true,
      from: params.from,
      to: params.to,
      edges: observed.length,
      ...intentCoverage(options.intent, observed),
    })
  })
  return router
}
