import {
  type ClickHouseClient,
  createSavedHuntStore,
  defaultHuntLimits,
  describeHuntTables,
  type HuntFilter,
  type HuntLimits,
  HuntRefusedError,
  type HuntResult,
  runHunt,
  type SavedHuntStore,
} from '@palisade/clickhouse'
import { allow, type Principal, recordAudit, sendError } from '@palisade/http-server'
import express, { type Request, type Response, type Router } from 'express'
import { RequestInvalidError } from './errors.ts'
import { huntRuleYaml } from './hunt-rule-yaml.ts'
import { parseHuntRange } from './request-params.ts'

/** What {@link createHuntRoutes} needs. */
export interface HuntRoutesOptions {
  client: ClickHouseClient
  /** Where saved hunts live (default: the store's `saved_hunts`). */
  savedHunts?: SavedHuntStore
  /** Clock for default ranges and save times, epoch ms. */
  now: () => number
  /** Bounds of every hunt (default {@link defaultHuntLimits}). */
  limits?: HuntLimits
}

const SAVED_ID = /^[A-Za-z0-9_-]{12}$/
const RELATIVE_RANGE = /^(15m|1h|6h|24h|7d|30d)$/
const EXPORT_FORMATS = ['csv', 'ndjson'] as const

function tenantOf(request: Request): Principal['tenant'] {
  // Mounted behind the dashboard's authentication middleware, which sets the principal.
  if (!request.principal) throw new Error('route reached without a principal')
  return request.principal.tenant
}

function refused(response: Response, error: unknown): boolean {
  if (error instanceof HuntRefusedError) {
    response.status(400).json({ error: { code: error.code, reason: error.reason, message: error.message } })
    return true
  }
  if (error instanceof RequestInvalidError) {
    sendError(response, 400, 'BAD_REQUEST', error.message)
    return true
  }
  return false
}

function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length > max)
    throw new RequestInvalidError(`${name}: text of at most ${max} characters`)
  return value
}

function filtersOf(value: unknown): HuntFilter[] {
  if (value === undefined) return []
  const list = typeof value === 'string' ? safeJson(value) : value
  if (
    !Array.isArray(list) ||
    !list.every(
      (f) =>
        f !== null && typeof f === 'object' && typeof f.column === 'string' && typeof f.value === 'string',
    )
  )
    throw new RequestInvalidError('filters: a list of {"column": "...", "value": "..."}')
  return list.map((f: HuntFilter) => ({ column: f.column, value: f.value }))
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    throw new RequestInvalidError('filters: not JSON')
  }
}

function rowsOf(value: unknown, cap: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > cap)
    throw new RequestInvalidError(`limit: an integer from 1 to ${cap}`)
  return n
}

/** A CSV field: quoted when needed; a leading = + - @ is prefixed with ' so a spreadsheet does not run it. */
function csvField(value: unknown): string {
  let text =
    value === null || value === undefined
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

function exportBody(result: HuntResult, format: (typeof EXPORT_FORMATS)[number]): string {
  const names = result.columns.map((c) => c.name)
  if (format === 'csv')
    return `${[names, ...result.rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`
  return result.rows
    .map((row) => JSON.stringify(Object.fromEntries(names.map((name, i) => [name, row[i]]))))
    .join('\n')
    .concat(result.rows.length > 0 ? '\n' : '')
}

/**
 * Hunting under `/api/v1/hunts`: run a hunt (`POST /run`), export one (`GET /export`), the hunt
 * tables' columns (`GET /tables`), saved hunts (`POST /`, `GET /`, `GET /:id`) and a saved hunt as a
 * rule file (`GET /:id/rule`). Mount behind the dashboard's authentication: every hunt runs for the
 * signed-in tenant, and refusals answer 400 with the guard's reason.
 */
export function createHuntRoutes(options: HuntRoutesOptions): Router {
  const limits = options.limits ?? defaultHuntLimits
  const saved = options.savedHunts ?? createSavedHuntStore(options.client)
  const router = express.Router()
  const json = express.json({ limit: '64kb' })

  router.get('/api/v1/hunts/tables', allow('investigate'), async (_request, response) => {
    response.json({ tables: await describeHuntTables(options.client), limits })
  })

  router.post('/api/v1/hunts/run', allow('investigate'), json, async (request, response) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    try {
      const range = parseHuntRange(body, options.now())
      const result = await runHunt(
        options.client,
        {
          tenant: tenantOf(request),
          query: text(body.query, 'query', 20_000),
          ...range,
          filters: filtersOf(body.filters),
          maxRows: rowsOf(body.limit, limits.maxRowsCap),
        },
        limits,
      )
      await recordAudit(request, {
        action: 'hunt.run',
        target: 'hunt',
        detail: { query: body.query, from: range.from, to: range.to, rows: result.rows.length },
      })
      response.json({ ...result, ...range })
    } catch (error) {
      if (refused(response, error)) return
      throw error
    }
  })

  // GET, so that a plain link downloads it with the session cookie.
  router.get('/api/v1/hunts/export', allow('investigate'), async (request, response) => {
    const query = request.query as Record<string, unknown>
    try {
      const format = query.format ?? 'csv'
      if (!EXPORT_FORMATS.includes(format as never))
        throw new RequestInvalidError(`format: one of ${EXPORT_FORMATS.join(', ')}`)
      const range = parseHuntRange(query, options.now())
      const result = await runHunt(
        options.client,
        {
          tenant: tenantOf(request),
          query: text(query.query, 'query', 20_000),
          ...range,
          filters: filtersOf(query.filters),
          maxRows: rowsOf(query.limit, limits.maxRowsCap) ?? limits.maxRowsCap,
        },
        limits,
      )
      const kind = format as (typeof EXPORT_FORMATS)[number]
      await recordAudit(request, {
        action: 'export.hunt',
        target: kind,
        detail: { query: query.query, from: range.from, to: range.to, rows: result.rows.length },
      })
      response.setHeader('Content-Disposition', `attachment; filename="hunt.${kind}"`)
      if (result.truncated) response.setHeader('X-Palisade-Truncated', String(result.rows.length))
      response.type(kind === 'csv' ? 'text/csv' : 'application/x-ndjson').send(exportBody(result, kind))
    } catch (error) {
      if (refused(response, error)) return
      throw error
    }
  })

  router.post('/api/v1/hunts', allow('investigate'), json, async (request, response) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    const tenant = tenantOf(request)
    try {
      const name = text(body.name, 'name', 200).trim()
      if (name === '') throw new RequestInvalidError('name: give the hunt a name')
      const query = text(body.query, 'query', 20_000)
      const range = typeof body.range === 'string' ? body.range : ''
      if (range !== '' && !RELATIVE_RANGE.test(range))
        throw new RequestInvalidError('range: one of 15m, 1h, 6h, 24h, 7d, 30d, or give from/to')
      const fixed = range === '' ? parseHuntRange(body, options.now()) : undefined
      // Saved only when it would run: a colleague opening the link gets a hunt, not an error.
      await runHunt(
        options.client,
        { tenant, query, ...(fixed ?? { from: options.now() - 60_000, to: options.now() }), maxRows: 1 },
        limits,
      )
      const id = body.id === undefined ? undefined : text(body.id, 'id', 12)
      if (id !== undefined && !SAVED_ID.test(id)) throw new RequestInvalidError('id: not a saved hunt id')
      const hunt = await saved.save(
        tenant,
        { id, name, query, range, from: fixed?.from ?? null, to: fixed?.to ?? null, savedBy: tenant },
        options.now(),
      )
      response.status(201).json(hunt)
    } catch (error) {
      if (refused(response, error)) return
      throw error
    }
  })

  router.get('/api/v1/hunts', allow('investigate'), async (request, response) => {
    response.json({ hunts: await saved.list(tenantOf(request), 200) })
  })

  router.get('/api/v1/hunts/:id', allow('investigate'), async (request, response) => {
    const id = String(request.params.id ?? '')
    const hunt = SAVED_ID.test(id) ? await saved.get(tenantOf(request), id) : undefined
    if (!hunt) {
      sendError(response, 404, 'NOT_FOUND', `no saved hunt "${id}"`)
      return
    }
    response.json(hunt)
  })

  router.get('/api/v1/hunts/:id/rule', allow('investigate'), async (request, response) => {
    const id = String(request.params.id ?? '')
    const hunt = SAVED_ID.test(id) ? await saved.get(tenantOf(request), id) : undefined
    if (!hunt) {
      sendError(response, 404, 'NOT_FOUND', `no saved hunt "${id}"`)
      return
    }
    response.setHeader('Content-Disposition', `attachment; filename="hunt-${id}.rules.yaml"`)
    response.type('application/yaml').send(huntRuleYaml(hunt))
  })

  return router
}
