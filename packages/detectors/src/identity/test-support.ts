import type { DeclaredIntent } from '@palisade/intent'
import type { AuthEvent, Severity } from '@palisade/schema'
import type { z } from 'zod'
import type { Detector } from '../detector.ts'
import type { DetectorType } from '../rules/detector-type.ts'
import type { KindedEvent } from '../run-detector.ts'
import { intentWith } from '../testing/intent-with.ts'

/** 2026-01-05T10:00:00Z, the rule tests' start. */
export const t0 = Date.parse('2026-01-05T10:00:00Z')
export const minute = 60_000
export const hour = 3_600_000

let counter = 0

/** An auth event as the collector hands it over (defaults: tenant acme, success, source okta). */
export function auth(fields: Partial<AuthEvent> & { principal: string; ts: number }): AuthEvent {
  counter++
  return {
    event_id: `e-${counter}`,
    tenant: 'acme',
    observed_at: fields.ts,
    source: 'okta',
    service: 'okta',
    principal_type: 'user',
    outcome: 'success',
    ...fields,
  } as AuthEvent
}

/** A failed password guess (failure kind user, INVALID_CREDENTIALS). */
export function guess(fields: Partial<AuthEvent> & { principal: string; ts: number }): AuthEvent {
  return auth({
    outcome: 'failure',
    failure_kind: 'user',
    reason: 'INVALID_CREDENTIALS',
    method: 'password',
    ...fields,
  })
}

export function kinded(events: readonly AuthEvent[]): KindedEvent[] {
  return events.map((event) => ({ kind: 'auth', event }))
}

/** A detector of a type with params (the type's defaults for the rest) and an intent. */
export function detectorOf<Schema extends z.ZodType>(
  type: DetectorType<Schema>,
  params: Record<string, unknown> = {},
  options: { intent?: DeclaredIntent; severity?: Severity } = {},
): Detector {
  return type.create({
    id: `identity.${type.name}`,
    title: type.name,
    severity: options.severity ?? 'page',
    params: type.params.parse(params),
    intent: options.intent ?? intentWith(),
  })
}

/** Deterministic shuffle of events within `spreadMs` of their place (out-of-order delivery). */
export function jitter<T extends { ts: number }>(events: readonly T[], spreadMs: number, seed = 7): T[] {
  let state = seed
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
  return events
    .map((event) => ({ event, at: event.ts + random() * spreadMs }))
    .sort((a, b) => a.at - b.at)
    .map(({ event }) => event)
}
