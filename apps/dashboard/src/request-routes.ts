import { type ClickHouseClient, queryRequestTimeline } from '@palisade/clickhouse'
import { allow, sendError } from '@palisade/http-server'
import express, { type Router } from 'express'
import { RequestInvalidError } from './errors.ts'
import { parseId, parseInvestigationParams } from './request-params.ts'

/** What {@link createRequestRoutes} needs. */
export interface RequestRoutesOptions {
  client: ClickHouseClient
  /** Clock for the default range, epoch ms. */
  now: () => number
}

/**
 * `GET /api/v1/requests/:id`: one request's decision timeline across sources and enforcement
 * points (the debug dashboard's drill-down). Mount behind the dashboard's authentication.
 */
export function createRequestRoutes(options: RequestRoutesOptions): Router {
  const router = express.Router()
  router.get('/api/v1/requests/:id', allow('investigate'), async (request, response) => {
    let id: string
    let params: ReturnType<typeof parseInvestigationParams>
    try {
      id = parseId('id', String(request.params.id ?? ''))
      params = parseInvestigationParams(request.query, options.now())
    } catch (error) {
      if (error instanceof RequestInvalidError) {
        sendError(response, 400, 'BAD_REQUEST', error.message)
        return
      }
      throw error
    }
    if (!request.principal) throw new Error('route reached without a principal')
    const records = await queryRequestTimeline(options.client, {
      tenant: request.principal.tenant,
      requestId: id,
      ...params,
    })
    if (records.length === 0) {
      sendError(response, 404, 'NOT_FOUND', `no decision names request "${id}" in this range`)
      return
    }
    response.json({
      requestId: id,
      records,
      from: params.from,
      to: params.to,
      // Access-log flows are stored without the request id; only decisions can be joined by it yet.
      joinedKinds: ['decision'],
    })
  })
  return router
}
