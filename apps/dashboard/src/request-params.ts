import { type EdgeMtlsState, edgeMtlsStates, type ServiceEdgeFilter } from '@palisade/clickhouse'
import { parseDuration } from '@palisade/duration'
import { maxEventTime, minEventTime, type Severity } from '@palisade/schema'
import { RequestInvalidError } from './errors.ts'

const MINUTE = 60_000
const DAY = 24 * 3600_000
/** Longest range a panel or burn-rate chart may ask for (31 days: a month of rollups). */
export const MAX_PANEL_RANGE_MS = 31 * DAY
/** Longest range the findings list may ask for (the findings' 400-day retention). */
export const MAX_FINDINGS_RANGE_MS = 400 * DAY
/** Most points a series may have; a finer step is refused rather than silently coarsened. */
export const MAX_POINTS = 2_000
/** Points a series aims for when the caller gives no step (a chart a few hundred pixels wide). */
const TARGET_POINTS = 180

const BARE_MS = /^\d{1,9}$/
const RELATIVE = /^now(?:-(.+))?$/
const EPOCH_MS = /^\d{1,15}$/
const RULE = /^[a-z0-9_.-]{1,128}$/
const SEVERITIES: readonly Severity[] = ['page', 'ticket', 'info']

type Query = Record<string, unknown>

function single(query: Query, name: string): string | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string')
    throw new RequestInvalidError(`${name}: give the parameter once, as a plain value`)
  return value
}

function refuseUnknown(query: Query, allowed: string[]): void {
  const unknown = Object.keys(query).filter((key) => !allowed.includes(key))
  if (unknown.length > 0) {
    throw new RequestInvalidError(
      `unknown parameter(s): ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`,
    )
  }
}

/** `500`, `30s`, `5m`, `1h`, `3d` → ms (a bare number is ms; otherwise the product's duration grammar). */
function duration(name: string, value: string): number {
  const ms = BARE_MS.test(value) ? Number(value) : parseDuration(value)
  if (ms === undefined)
    throw new RequestInvalidError(`${name}: "${value}" is not a duration (e.g. 60000, 30s, 5m, 1h, 3d)`)
  if (ms <= 0) throw new RequestInvalidError(`${name}: must be above zero`)
  return ms
}

/**
 * Epoch ms, ISO-8601 with a zone, `now` or `now-<duration>` → epoch ms, within the stored time
 * range (1970 to 2299): beyond it a query parameter would not even be a safe integer.
 */
function time(name: string, value: string, now: number): number {
  const ms = timeAnywhere(name, value, now)
  if (!(ms >= minEventTime && ms <= maxEventTime)) {
    throw new RequestInvalidError(`${name}: "${value}" is outside the stored time range (1970 to 2299)`)
  }
  return ms
}

function timeAnywhere(name: string, value: string, now: number): number {
  if (EPOCH_MS.test(value)) return Number(value)
  const relative = RELATIVE.exec(value)
  if (relative) return relative[1] ? now - duration(name, relative[1]) : now
  // Only ISO-8601 with an explicit zone: a zone-less time would be read in the server's zone.
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const parsed = Date.parse(value)
    if (Number.isFinite(parsed)) return parsed
  }
  throw new RequestInvalidError(
    `${name}: "${value}" is not a time (epoch ms, ISO-8601 with zone, now or now-1h)`,
  )
}

function range(query: Query, now: number, defaultMs: number, maxMs: number): { from: number; to: number } {
  const toValue = single(query, 'to')
  const fromValue = single(query, 'from')
  const to = toValue === undefined ? now : time('to', toValue, now)
  const from = fromValue === undefined ? to - defaultMs : time('from', fromValue, now)
  if (from >= to) throw new RequestInvalidError('from: must be before to')
  if (to - from > maxMs)
    throw new RequestInvalidError(`from/to: the range may span at most ${maxMs / DAY} days`)
  return { from, to }
}

function integer(query: Query, name: string, min: number, max: number, fallback: number): number {
  const value = single(query, name)
  if (value === undefined) return fallback
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new RequestInvalidError(`${name}: must be an integer from ${min} to ${max}`)
  }
  return Number(value)
}

/** A step for `span`: the caller's (checked against {@link MAX_POINTS}), else about 180 points, in whole `grainMs`. */
function step(query: Query, span: number, grainMs: number): number {
  const value = single(query, 'step')
  if (value === undefined) return Math.max(grainMs, Math.ceil(span / TARGET_POINTS / grainMs) * grainMs)
  const ms = duration('step', value)
  if (ms % grainMs !== 0) throw new RequestInvalidError(`step: must be a whole number of ${grainMs / 1000}s`)
  if (span / ms > MAX_POINTS)
    throw new RequestInvalidError(`step: too fine, the series would exceed ${MAX_POINTS} points`)
  return ms
}

/** `GET /api/v1/findings` parameters: range (default the last 24 h), severity, rule, limit (default 200), order (time or severity). */
export function parseFindingsParams(query: Query, now: number) {
  refuseUnknown(query, ['from', 'to', 'severity', 'rule', 'limit', 'order'])
  const order = single(query, 'order')
  if (order !== undefined && order !== 'time' && order !== 'severity') {
    throw new RequestInvalidError('order: must be time or severity')
  }
  const severity = single(query, 'severity')
  if (severity !== undefined && !SEVERITIES.includes(severity as Severity)) {
    throw new RequestInvalidError(`severity: must be one of ${SEVERITIES.join(', ')}`)
  }
  const rule = single(query, 'rule')
  if (rule !== undefined && !RULE.test(rule))
    throw new RequestInvalidError('rule: lower-case letters, digits and ._- only')
  return {
    ...range(query, now, DAY, MAX_FINDINGS_RANGE_MS),
    severity: severity as Severity | undefined,
    rule,
    limit: integer(query, 'limit', 1, 5000, 200),
    ...(order !== undefined ? { order: order as 'time' | 'severity' } : {}),
  }
}

/** The service graph's filters in a query string (the names the page keeps in its URL). */
const EDGE_FILTERS = ['namespace', 'denied', 'mtls', 'min_rate']
// A Kubernetes namespace is a DNS label.
const NAMESPACE = /^[a-z0-9][a-z0-9-]{0,62}$/
const RATE = /^\d{1,9}(\.\d{1,9})?$/

/** `namespace`, `denied` (true/false), `mtls` (a state) and `min_rate` (per second) → an edge filter. */
function edgeFilter(query: Query): ServiceEdgeFilter {
  const filter: ServiceEdgeFilter = {}
  const namespace = single(query, 'namespace')
  if (namespace !== undefined && namespace !== '') {
    if (!NAMESPACE.test(namespace))
      throw new RequestInvalidError('namespace: a namespace name (lower-case letters, digits and -)')
    filter.namespace = namespace
  }
  const denied = single(query, 'denied')
  if (denied !== undefined && denied !== '') {
    if (!['true', 'false', '1', '0'].includes(denied)) throw new RequestInvalidError('denied: true or false')
    filter.deniedOnly = denied === 'true' || denied === '1'
  }
  const mtls = single(query, 'mtls')
  if (mtls !== undefined && mtls !== '') {
    if (!(edgeMtlsStates as readonly string[]).includes(mtls))
      throw new RequestInvalidError(`mtls: one of ${edgeMtlsStates.join(', ')}`)
    filter.mtls = mtls as EdgeMtlsState
  }
  const minRate = single(query, 'min_rate')
  if (minRate !== undefined && minRate !== '') {
    if (!RATE.test(minRate)) throw new RequestInvalidError('min_rate: a rate per second, e.g. 0.5')
    filter.minRatePerS = Number(minRate)
  }
  return filter
}

/**
 * `GET /api/v1/panels/:query` parameters: range (default the last 6 h), step (whole minutes), limit
 * (default 200); with `edgeFilters` (the service graph) also its filters, see {@link edgeFilter}.
 */
export function parsePanelParams(query: Query, now: number, options: { edgeFilters?: boolean } = {}) {
  refuseUnknown(query, ['from', 'to', 'step', 'limit', ...(options.edgeFilters ? EDGE_FILTERS : [])])
  const window = range(query, now, 6 * 3600_000, MAX_PANEL_RANGE_MS)
  return {
    ...window,
    stepMs: step(query, window.to - window.from, MINUTE),
    limit: integer(query, 'limit', 1, 1000, 200),
    ...(options.edgeFilters ? { edgeFilter: edgeFilter(query) } : {}),
  }
}

/** Longest range a baseline band may span: it reads as many earlier copies of the range as it has days. */
export const MAX_BASELINE_RANGE_MS = 2 * DAY
const FIELD = /^[a-z0-9_]{1,64}$/

/**
 * `GET /api/v1/panels/:query/baseline` parameters: range (default the last 6 h, at most
 * {@link MAX_BASELINE_RANGE_MS}), step (as the panel's), `field` (a column of the query) and `days`
 * (earlier days to compare with, 3 to 14, default 7).
 */
export function parseBaselineParams(query: Query, now: number) {
  refuseUnknown(query, ['from', 'to', 'step', 'field', 'days'])
  const window = range(query, now, 6 * 3600_000, MAX_BASELINE_RANGE_MS)
  const field = single(query, 'field')
  if (field === undefined || !FIELD.test(field))
    throw new RequestInvalidError('field: the column of the series (lower-case letters, digits and _)')
  return {
    ...window,
    stepMs: step(query, window.to - window.from, MINUTE),
    field,
    days: integer(query, 'days', 3, 14, 7),
  }
}

/** `GET /api/v1/slos/:name/burn-rate` parameters: range (default 6 h), step, window (default 1 h). */
export function parseBurnRateParams(query: Query, now: number) {
  refuseUnknown(query, ['from', 'to', 'step', 'window'])
  const window = range(query, now, 6 * 3600_000, MAX_PANEL_RANGE_MS)
  const windowValue = single(query, 'window')
  const windowMs = windowValue === undefined ? 3600_000 : duration('window', windowValue)
  if (windowMs > MAX_PANEL_RANGE_MS) throw new RequestInvalidError('window: at most 31 days')
  return { ...window, stepMs: step(query, window.to - window.from, MINUTE), windowMs }
}

/** Longest range an entity page or incident timeline may ask for (the raw events' 30-day retention plus a day). */
export const MAX_INVESTIGATION_RANGE_MS = 31 * DAY
const ENTITY_VALUE = /^[\x21-\x7e]{1,512}$/
const ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,255}$/

/** Incident timeline parameters: range (default the last 24 h), limit (default 200). */
export function parseInvestigationParams(query: Query, now: number) {
  refuseUnknown(query, ['from', 'to', 'limit'])
  return {
    ...range(query, now, DAY, MAX_INVESTIGATION_RANGE_MS),
    limit: integer(query, 'limit', 1, 1000, 200),
  }
}

/** Entity page parameters: those of {@link parseInvestigationParams}, and `only`, one timeline kind out of `kinds`. */
export function parseEntityPageParams<K extends string>(query: Query, now: number, kinds: readonly K[]) {
  const { only, ...rest } = query
  if (only !== undefined && (typeof only !== 'string' || !kinds.includes(only as K)))
    throw new RequestInvalidError(`only: must be one of ${kinds.join(', ')}`)
  return { ...parseInvestigationParams(rest, now), only: only as K | undefined }
}

/** An entity kind out of `kinds`, and its value: printable ASCII without spaces, at most 512 characters. */
export function parseEntity<K extends string>(
  kind: string,
  value: string,
  kinds: readonly K[],
): { kind: K; value: string } {
  if (!kinds.includes(kind as K)) throw new RequestInvalidError(`kind: must be one of ${kinds.join(', ')}`)
  if (!ENTITY_VALUE.test(value))
    throw new RequestInvalidError('value: 1 to 512 printable characters without spaces')
  return { kind: kind as K, value }
}

/** A finding id or an incident's dedup key as a path segment. */
export function parseId(name: string, value: string): string {
  if (!ID.test(value)) throw new RequestInvalidError(`${name}: letters, digits and ._:@/- only, at most 256`)
  return value
}

/** Longest range a hunt may ask for (the raw events' 30-day retention plus a day). */
export const MAX_HUNT_RANGE_MS = 31 * DAY

/**
 * A hunt's range from `from`/`to` (the same grammar as the query string: epoch ms, ISO with zone,
 * `now-24h`), default the last 24 h, at most {@link MAX_HUNT_RANGE_MS}.
 */
export function parseHuntRange(
  values: { from?: unknown; to?: unknown },
  now: number,
): { from: number; to: number } {
  const query: Query = {}
  for (const name of ['from', 'to'] as const) {
    const value = values[name]
    if (value === undefined || value === null || value === '') continue
    query[name] = typeof value === 'number' ? String(value) : value
  }
  return range(query, now, DAY, MAX_HUNT_RANGE_MS)
}
