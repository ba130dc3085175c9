import { parseDuration } from '@palisade/duration'
import { IncidentActionInvalidError } from './errors.ts'
import { parseLabelMatcher } from './label-matcher.ts'

/** What a person can do to an incident from the dashboard or the API. */
export const incidentActionKinds = ['ack', 'resolve', 'silence', 'snooze'] as const
export type IncidentActionKind = (typeof incidentActionKinds)[number]

/**
 * One action a person took on an incident, as the action log keeps it (and every router applies it):
 * `ack` stops repeats until the incident resolves (news still escalates), `resolve` closes it (its
 * alerts reopen it only by firing anew), `snooze` acknowledges it until `until` and pages again then
 * if it still fires, `silence` mutes alerts matching `matchers` until `until`.
 */
export interface IncidentAction {
  /** Unique id (the caller's random UUID): every router applies an action once. */
  id: string
  tenant: string
  /** The incident's key (its dedup key in the ledger and at PagerDuty). */
  incident_key: string
  kind: IncidentActionKind
  /** Who did it: the authenticated principal's name. */
  actor: string
  /** Why, in the actor's words (required for a silence, optional otherwise). */
  comment: string
  /** When it was taken, epoch ms. */
  at: number
  /** End of a snooze or silence, epoch ms (0 for ack and resolve). */
  until: number
  /** A silence's matchers as Alertmanager's API writes them (empty for the other kinds). */
  matchers: SilenceMatcher[]
  /** The silence this action created (its id in the silence store), for a silence. */
  silence_id: string
}

/** A matcher in Alertmanager API v2's form, the one the silence store keeps. */
export interface SilenceMatcher {
  name: string
  value: string
  isRegex: boolean
  isEqual: boolean
}

/** The longest snooze or silence one action may ask for (a silence for good belongs in the routing file). */
export const MAX_MUTE_MS = 30 * 24 * 3600_000

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function text(body: Record<string, unknown>, field: string, required: boolean): string {
  const value = body[field]
  if (value === undefined || value === null) {
    if (required) throw new IncidentActionInvalidError(`${field} is required`)
    return ''
  }
  if (typeof value !== 'string') throw new IncidentActionInvalidError(`${field} must be a string`)
  if (value.length > 1024) throw new IncidentActionInvalidError(`${field} must be at most 1,024 characters`)
  if (required && value.trim() === '') throw new IncidentActionInvalidError(`${field} must not be empty`)
  return value.trim()
}

function duration(body: Record<string, unknown>): number {
  const value = body.duration
  if (typeof value !== 'string')
    throw new IncidentActionInvalidError('duration is required, such as "30m", "4h" or "1d"')
  const ms = parseDuration(value)
  if (ms === undefined || ms <= 0)
    throw new IncidentActionInvalidError(`duration "${value}" is not a duration such as "30m", "4h" or "1d"`)
  if (ms > MAX_MUTE_MS) throw new IncidentActionInvalidError('duration must be at most 30d')
  return ms
}

/** Turn `name="value"`-style matchers (or the incident's group labels) into the silence store's form. */
function silenceMatchers(
  body: Record<string, unknown>,
  groupLabels: Record<string, string>,
): SilenceMatcher[] {
  const raw = body.matchers
  if (raw === undefined) {
    // By default a silence mutes exactly this incident: its group labels, each matched equal.
    const matchers = Object.entries(groupLabels).map(([name, value]) => ({
      name,
      value,
      isRegex: false,
      isEqual: true,
    }))
    if (matchers.length === 0)
      throw new IncidentActionInvalidError('this incident has no group labels: send matchers')
    return matchers
  }
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((item) => typeof item !== 'string'))
    throw new IncidentActionInvalidError('matchers must be a non-empty list of strings such as service="pdp"')
  return (raw as string[]).map((item) => {
    let parsed: ReturnType<typeof parseLabelMatcher>
    try {
      parsed = parseLabelMatcher(item)
    } catch (error) {
      throw new IncidentActionInvalidError((error as Error).message, error)
    }
    return {
      name: parsed.name,
      value: parsed.value,
      isRegex: parsed.op === '=~' || parsed.op === '!~',
      isEqual: parsed.op === '=' || parsed.op === '=~',
    }
  })
}

/** What {@link parseIncidentAction} needs besides the request body. */
export interface IncidentActionContext {
  id: string
  tenant: string
  incidentKey: string
  actor: string
  now: number
  /** The incident's group labels, the default matchers of a silence. */
  groupLabels: Record<string, string>
}

/**
 * Validate a request to act on an incident (`POST /api/v1/incidents/:key/<kind>`): `comment` for
 * every kind (required for a silence), `duration` for snooze and silence, `matchers` for a silence
 * (default: the incident's group labels). Throws {@link IncidentActionInvalidError} with the reason.
 */
export function parseIncidentAction(
  kind: string,
  body: unknown,
  context: IncidentActionContext,
): IncidentAction {
  if (!(incidentActionKinds as readonly string[]).includes(kind))
    throw new IncidentActionInvalidError(`unknown action "${kind}": one of ${incidentActionKinds.join(', ')}`)
  const fields = body === undefined || body === null ? {} : body
  if (!isRecord(fields)) throw new IncidentActionInvalidError('the body must be a JSON object')
  const actionKind = kind as IncidentActionKind
  const allowed = new Set([
    'comment',
    ...(actionKind === 'snooze' || actionKind === 'silence' ? ['duration'] : []),
  ])
  if (actionKind === 'silence') allowed.add('matchers')
  const unknown = Object.keys(fields).filter((key) => !allowed.has(key))
  if (unknown.length > 0)
    throw new IncidentActionInvalidError(
      `${kind} takes ${[...allowed].join(', ')}; unknown field(s): ${unknown.join(', ')}`,
    )
  const muted = actionKind === 'snooze' || actionKind === 'silence'
  return {
    id: context.id,
    tenant: context.tenant,
    incident_key: context.incidentKey,
    kind: actionKind,
    actor: context.actor,
    comment: text(fields, 'comment', actionKind === 'silence'),
    at: context.now,
    until: muted ? context.now + duration(fields) : 0,
    matchers: actionKind === 'silence' ? silenceMatchers(fields, context.groupLabels) : [],
    silence_id: '',
  }
}
