import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { z } from 'zod'
import { deriveEventId } from './event-id.ts'
import { type EventByKind, type EventKind, eventSchemas } from './event-kinds.ts'
import { maxEventTime, minEventTime } from './fields.ts'
import { eventTimeProblem, type RetentionDays } from './retention.ts'

/**
 * Result of validating one record: the normalised event, or a reason a person can act on. Given
 * the record's JSON text, a valid event comes with `json`: that text with what validation filled
 * (tenant, receive time, a derived id, defaults) written in front, which parses to the event. The
 * store and the bus may take it as the event's bytes instead of encoding the event again (the
 * encoding was a tenth of the ingest path's JavaScript); it is exact as long as the event is not
 * changed, and validation is the last step that changes an event. A reader that cannot take it
 * (the engine refuses `80.0` for an integer column, or a key written twice that `JSON.parse`
 * forgave) encodes the event instead.
 */
export type ValidationResult<K extends EventKind> =
  | { ok: true; event: EventByKind[K]; json?: string }
  | { ok: false; reason: string }

/** Who sent the record and when it arrived: the parts of an event the client does not choose. */
export interface ReceiveContext {
  /** The authenticated tenant: records are stored under it and may not name another. */
  tenant: string
  /** Receive time, epoch ms. */
  observedAt: number
  /**
   * The store's retention per kind: when given, an event older than its kind keeps (or past the
   * stored time range) is refused here, since the store would drop it after we acknowledged it.
   */
  retention?: RetentionDays
  /**
   * The JSON text the record is `JSON.parse` of, when the caller has it: JSON.parse keeps the
   * characters of valid text paired, so only a surrogate escape (`\ud800`) can give a string a lone
   * surrogate; a text without one is not walked for it (the walk is a measurable cost per event).
   */
  jsonText?: string
}

/** A lone UTF-16 surrogate: JSON allows the escape, but no UTF-8 store (nor ClickHouse) can hold it. */
const loneSurrogate = /\p{Cs}/u

/** A JSON escape of a UTF-16 surrogate. */
const surrogateEscape = /\\u[dD][89a-fA-F]/

/** Whether the record may hold a lone surrogate: not when its JSON text has no surrogate escape. */
function mayHoldLoneSurrogate(jsonText: string | undefined): boolean {
  return jsonText === undefined || (jsonText.includes('\\u') && surrogateEscape.test(jsonText))
}

/** Where in a record a string holds a lone surrogate (`service`, `labels.team`), or undefined. */
function malformedStringPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return loneSurrogate.test(value) ? path : undefined
  if (value === null || typeof value !== 'object') return undefined
  for (const [key, item] of Object.entries(value)) {
    if (loneSurrogate.test(key)) return path ? `${path}.<key>` : '<key>'
    const found = malformedStringPath(item, path ? `${path}.${key}` : key)
    if (found !== undefined) return found
  }
  return undefined
}

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void

/** The top-level fields validation fills with a default when absent: the event's JSON text needs them written. */
function defaultedFields(jsonSchema: { properties?: Record<string, object> }): string[] {
  return Object.entries(jsonSchema.properties ?? {})
    .filter(([, property]) => 'default' in property)
    .map(([name]) => name)
}

/**
 * The JSON Schema with each choice between string patterns (an IPv4 or an IPv6 address) made one
 * pattern: under draft 2020-12 ajv evaluates every branch of an `anyOf` (to track which properties
 * were evaluated), so every IPv4 address was also run through the long IPv6 expression.
 */
function withPatternChoicesJoined(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withPatternChoicesJoined)
  if (node === null || typeof node !== 'object') return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) out[key] = withPatternChoicesJoined(value)
  const choices = out.anyOf
  const patternOnly = (branch: unknown) => {
    const b = branch as Record<string, unknown>
    return (
      b.type === 'string' &&
      typeof b.pattern === 'string' &&
      Object.keys(b).every((key) => key === 'type' || key === 'pattern' || key === 'format')
    )
  }
  if (Array.isArray(choices) && choices.length > 1 && choices.every(patternOnly)) {
    delete out.anyOf
    out.type = 'string'
    out.pattern = choices.map((branch) => `(?:${(branch as { pattern: string }).pattern})`).join('|')
  }
  return out
}

/**
 * The zod schemas are the source of truth and give the readable reasons; for speed on the hot
 * path each is compiled once, through its JSON Schema, into an ajv validator (about 7x faster).
 * A record the fast validator refuses is run through zod for the reason. Lengths are counted in
 * UTF-16 units (`unicode: false`) and formats are left to the patterns the schema carries, as zod
 * itself does: ajv's own code-point count and format checks doubled the per-string work.
 */
const { fastValidators, defaultsByKind } = (() => {
  const ajv = new Ajv2020({ useDefaults: true, allErrors: false, strict: false, validateFormats: false })
  // Read by ajv's length checks; set after construction, since passing it warns that it is deprecated.
  ;(ajv.opts as { unicode?: boolean }).unicode = false
  addFormats(ajv)
  const validators = {} as Record<EventKind, ValidateFunction>
  const defaults = {} as Record<EventKind, string[]>
  for (const [kind, schema] of Object.entries(eventSchemas) as [EventKind, z.ZodType][]) {
    const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })
    validators[kind] = ajv.compile(withPatternChoicesJoined(jsonSchema) as object)
    defaults[kind] = defaultedFields(jsonSchema as { properties?: Record<string, object> })
  }
  return { fastValidators: validators, defaultsByKind: defaults }
})()

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : 'record'
      if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`
      return `${path}: ${issue.message}`
    })
    .join('; ')
}

/** What validation fills that a record's JSON text lacks, noted before it does. */
interface Unwritten {
  /** The record named no tenant (it is written in front with the receive time). */
  tenant: boolean
  /** The record had no id (a derived one is written). */
  eventId: boolean
  /** Fields absent from the record that take a default. */
  defaults: string[] | undefined
}

/** The fields written in front of most records of a request, the last time (tenant and receive time). */
let lastFront = { tenant: '', observedAt: Number.NaN, withTenant: '', withoutTenant: '' }

/**
 * The record's own JSON text with the fields validation filled written in front (the tenant unless
 * it named it, the receive time, a derived id, defaults).
 */
function completedJson(jsonText: string, data: Record<string, unknown>, unwritten: Unwritten): string {
  const tenant = data.tenant as string
  const observedAt = data.observed_at as number
  if (lastFront.tenant !== tenant || lastFront.observedAt !== observedAt) {
    const time = `"observed_at":${JSON.stringify(observedAt)},`
    lastFront = {
      tenant,
      observedAt,
      withTenant: `{"tenant":${JSON.stringify(tenant)},${time}`,
      withoutTenant: `{${time}`,
    }
  }
  let front = unwritten.tenant ? lastFront.withTenant : lastFront.withoutTenant
  if (unwritten.eventId) front += `"event_id":${JSON.stringify(data.event_id)},`
  if (unwritten.defaults)
    for (const field of unwritten.defaults) front += `"${field}":${JSON.stringify(data[field])},`
  // The text parsed as an object: its first non-blank character is `{`, and a valid event has a
  // field (`ts`), so a `,` always follows what is written in front.
  const brace = jsonText.charCodeAt(0) === 123 ? 0 : jsonText.indexOf('{')
  return front + jsonText.slice(brace + 1)
}

/**
 * Validate one parsed record as an event of `kind`: check every field, fill defaults, bind it to
 * the authenticated tenant and give it a stable id (the client's, else one derived from content).
 * The record is taken over: on success it is completed in place and returned as the event, which
 * spares a copy per event on the ingest path. Given the record's JSON text, the event comes with
 * that text completed (see {@link ValidationResult}).
 */
export function validateEvent<K extends EventKind>(
  kind: K,
  record: unknown,
  context: ReceiveContext,
): ValidationResult<K> {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { ok: false, reason: 'record is not a JSON object' }
  }
  const data = record as Record<string, unknown> & { tenant?: string; event_id?: string; ts: number | string }
  // What validation is about to fill, noted before it does, when the text may be kept.
  let unwritten: Unwritten | undefined
  if (context.jsonText !== undefined && typeof data.ts === 'number') {
    let defaults: string[] | undefined
    for (const field of defaultsByKind[kind]) {
      if (data[field] === undefined) {
        defaults ??= []
        defaults.push(field)
      }
    }
    unwritten = { tenant: data.tenant === undefined, eventId: data.event_id === undefined, defaults }
  }
  if (!fastValidators[kind](data)) {
    const parsed = eventSchemas[kind].safeParse(record)
    // Both validators come from one schema; should they ever disagree, say so rather than guess.
    return { ok: false, reason: parsed.success ? 'record is not valid' : describeIssues(parsed.error.issues) }
  }
  if (data.tenant !== undefined && data.tenant !== context.tenant) {
    return { ok: false, reason: `tenant "${data.tenant}" is not the authenticated tenant` }
  }
  const malformed = mayHoldLoneSurrogate(context.jsonText) ? malformedStringPath(data, '') : undefined
  if (malformed !== undefined) {
    return { ok: false, reason: `${malformed}: not well-formed Unicode (a lone UTF-16 surrogate escape)` }
  }
  if (typeof data.ts === 'string') data.ts = Date.parse(data.ts)
  if (context.retention) {
    const problem = eventTimeProblem(kind, data.ts, context.observedAt, context.retention)
    if (problem) return { ok: false, reason: problem }
  }
  if (!(data.ts <= maxEventTime))
    return { ok: false, reason: 'ts: after 2299-12-31, the end of the time range stored' }
  if (data.ts < minEventTime)
    return { ok: false, reason: 'ts: before 1970-01-01, the start of the time range stored' }
  // No `delete` on the event: it would turn the object into a slow dictionary for every later step
  // (detectors, the store's encoding); a derived id hashes the record without an id, as before.
  data.tenant = context.tenant
  if (data.event_id === undefined) data.event_id = deriveEventId(kind, data)
  data.observed_at = context.observedAt
  const event = data as unknown as EventByKind[K]
  return {
    ok: true,
    event,
    json: unwritten === undefined ? undefined : completedJson(context.jsonText!, data, unwritten),
  }
}
