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

/** `GET /api/v1/findings` parameters: range (default the last 24 h), severity, rule, limit (default 200). */
export function parseFindingsParams(query: Query, now: number) {
  refuseUnknown(query, ['from', 'to', 'severity', 'rule', 'limit'])
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
  }
}

/** `GET /api/v1/panels/:query` parameters: range (default the last 6 h), step (whole minutes), limit (default 200). */
export function parsePanelParams(query: Query, now: number) {
  refuseUnknown(query, ['from', 'to', 'step', 'limit'])
  const window = range(query, now, 6 * 3600_000, MAX_PANEL_RANGE_MS)
  return {
    ...window,
    stepMs: step(query, window.to - window.from, MINUTE),
    limit: integer(query, 'limit', 1, 1000, 200),
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
