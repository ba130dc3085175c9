import { randomUUID } from 'node:crypto'
import { type LabelMatcher, labelsMatch, type Muter, parseLabelMatcher } from '@palisade/alerting'
import type { SilenceRecord, SilenceStore } from '@palisade/clickhouse'
import { AlertmanagerRequestInvalidError } from './errors.ts'

/** A matcher as the Alertmanager API v2 writes it. */
export interface ApiMatcher {
  name: string
  value: string
  isRegex: boolean
  /** Absent means true (older clients). */
  isEqual?: boolean
}

/** A silence created through the API, with its matchers compiled. */
export interface ApiSilence {
  tenant: string
  id: string
  matchers: ApiMatcher[]
  compiled: LabelMatcher[]
  startsAt: number
  endsAt: number
  createdBy: string
  comment: string
  updatedAt: number
}

/** The silences people create through the Alertmanager API: a {@link Muter}, kept in a store. */
export interface ApiSilences extends Muter {
  /** Read every silence from the store (at start). */
  load(): Promise<void>
  /** Create a silence, or replace the one with `id`; resolves with its id once stored. */
  save(tenant: string, body: unknown): Promise<string>
  /** Expire a silence now; false when the tenant has no such silence. */
  expire(tenant: string, id: string): Promise<boolean>
  get(tenant: string, id: string): ApiSilence | undefined
  list(tenant: string): ApiSilence[]
  /** Ids of the tenant's silences muting these labels (with `tenant`) at `now`. */
  matching(labels: Readonly<Record<string, string>>, now: number): string[]
}

/** Compile Alertmanager's matchers to ours, or say which one is wrong. */
export function compileMatchers(matchers: readonly ApiMatcher[]): LabelMatcher[] {
  return matchers.map((matcher) => {
    const op = `${matcher.isEqual === false ? '!' : '='}${matcher.isRegex ? '~' : ''}`
    const text = `${matcher.name}${op === '=' ? '=' : op === '!' ? '!=' : op}${JSON.stringify(matcher.value)}`
    try {
      return parseLabelMatcher(text)
    } catch (error) {
      throw new AlertmanagerRequestInvalidError((error as Error).message)
    }
  })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseTime(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (Number.isNaN(ms)) throw new AlertmanagerRequestInvalidError(`${field} must be an RFC 3339 time`)
  return ms
}

function parseMatchers(value: unknown): ApiMatcher[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new AlertmanagerRequestInvalidError('matchers must be a non-empty list')
  return value.map((raw, index) => {
    if (
      !isRecord(raw) ||
      typeof raw.name !== 'string' ||
      raw.name === '' ||
      typeof raw.value !== 'string' ||
      typeof raw.isRegex !== 'boolean' ||
      (raw.isEqual !== undefined && typeof raw.isEqual !== 'boolean')
    ) {
      throw new AlertmanagerRequestInvalidError(
        `matchers[${index}] must have name, value (strings) and isRegex, isEqual (booleans)`,
      )
    }
    return { name: raw.name, value: raw.value, isRegex: raw.isRegex, isEqual: raw.isEqual ?? true }
  })
}

function fromRecord(record: SilenceRecord): ApiSilence {
  const matchers = JSON.parse(record.matchers) as ApiMatcher[]
  return {
    tenant: record.tenant,
    id: record.id,
    matchers,
    compiled: compileMatchers(matchers),
    startsAt: record.starts_at,
    endsAt: record.ends_at,
    createdBy: record.created_by,
    comment: record.comment,
    updatedAt: record.updated_at,
  }
}

function toRecord(silence: ApiSilence): SilenceRecord {
  return {
    tenant: silence.tenant,
    id: silence.id,
    matchers: JSON.stringify(silence.matchers),
    starts_at: silence.startsAt,
    ends_at: silence.endsAt,
    created_by: silence.createdBy,
    comment: silence.comment,
    updated_at: silence.updatedAt,
  }
}

/**
 * The API's silences, held in memory (the planner asks on every flush) and written through to the
 * store before a request is answered, so that a silence acknowledged to amtool survives a restart.
 */
export function createApiSilences(store: SilenceStore, clock: () => number = Date.now): ApiSilences {
  const silences = new Map<string, ApiSilence>()
  const keyOf = (tenant: string, id: string) => `${tenant}\n${id}`
  // A version written in the same millisecond as the previous one must still be the newer one.
  let lastUpdatedAt = 0
  const nextUpdatedAt = () => {
    lastUpdatedAt = Math.max(clock(), lastUpdatedAt + 1)
    return lastUpdatedAt
  }
  const active = (silence: ApiSilence, now: number) => silence.startsAt <= now && now < silence.endsAt

  async function put(silence: ApiSilence): Promise<void> {
    await store.save(toRecord(silence))
    silences.set(keyOf(silence.tenant, silence.id), silence)
  }

  function matching(labels: Readonly<Record<string, string>>, now: number): string[] {
    const ids: string[] = []
    for (const silence of silences.values()) {
      if (silence.tenant !== labels.tenant || !active(silence, now)) continue
      if (labelsMatch(silence.compiled, labels)) ids.push(silence.id)
    }
    return ids
  }

  return {
    async load() {
      for (const record of await store.all()) {
        const silence = fromRecord(record)
        lastUpdatedAt = Math.max(lastUpdatedAt, silence.updatedAt)
        silences.set(keyOf(silence.tenant, silence.id), silence)
      }
    },

    async save(tenant, body) {
      if (!isRecord(body)) throw new AlertmanagerRequestInvalidError('the body must be a silence object')
      const matchers = parseMatchers(body.matchers)
      const compiled = compileMatchers(matchers)
      const now = clock()
      const startsAt = body.startsAt === undefined ? now : parseTime(body.startsAt, 'startsAt')
      const endsAt = parseTime(body.endsAt, 'endsAt')
      if (endsAt <= startsAt) throw new AlertmanagerRequestInvalidError('endsAt must be after startsAt')
      if (endsAt <= now) throw new AlertmanagerRequestInvalidError('endsAt must be in the future')
      if (typeof body.createdBy !== 'string' || body.createdBy === '')
        throw new AlertmanagerRequestInvalidError('createdBy must be a non-empty string')
      if (typeof body.comment !== 'string' || body.comment === '')
        throw new AlertmanagerRequestInvalidError('comment must be a non-empty string')
      let id: string = randomUUID()
      if (typeof body.id === 'string' && body.id !== '') {
        // Alertmanager updates a silence given its id; an unknown id is an error, not a new silence.
        if (!silences.has(keyOf(tenant, body.id)))
          throw new AlertmanagerRequestInvalidError(`silence ${body.id} not found`)
        id = body.id
      }
      await put({
        tenant,
        id,
        matchers,
        compiled,
        startsAt: Math.max(startsAt, now),
        endsAt,
        createdBy: body.createdBy,
        comment: body.comment,
        updatedAt: nextUpdatedAt(),
      })
      return id
    },

    async expire(tenant, id) {
      const silence = silences.get(keyOf(tenant, id))
      if (!silence) return false
      const now = clock()
      if (silence.endsAt <= now) return true
      await put({
        ...silence,
        startsAt: Math.min(silence.startsAt, now),
        endsAt: now,
        updatedAt: nextUpdatedAt(),
      })
      return true
    },

    get(tenant, id) {
      return silences.get(keyOf(tenant, id))
    },

    list(tenant) {
      return [...silences.values()].filter((silence) => silence.tenant === tenant)
    },

    matching,

    mutes(labels, now) {
      return matching(labels, now).length > 0
    },
  }
}
