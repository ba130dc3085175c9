import type { DeclaredIntent } from '@palisade/intent'
import { type AnyEvent, type EventKind, type Severity, validateEvent } from '@palisade/schema'
import type { z } from 'zod'
import type { DetectedFinding, Detector } from '../../detector.ts'
import type { DetectorType } from '../../rules/detector-type.ts'
import { type KindedEvent, runDetector } from '../../run-detector.ts'
import { intentWith } from '../../testing/intent-with.ts'

/** Start of unit tests' event time: 2026-01-05T10:00:00Z. */
export const t0 = Date.UTC(2026, 0, 5, 10)
export const minute = 60_000
export const hour = 3_600_000
export const day = 86_400_000

/** A detector of a type, as a rule would make it (params through the type's schema; default intent: nothing declared). */
export function instantiate<S extends z.ZodType>(
  type: DetectorType<S>,
  params: z.input<S> = {} as z.input<S>,
  intent: DeclaredIntent = intentWith(),
  severity: Severity = 'page',
): Detector {
  const parsed = type.params.parse(params)
  return type.create({ id: `test.${type.name}`, title: type.description, severity, params: parsed, intent })
}

let counter = 0

/** A validated event of a kind, with an event id `e<n>` unless given. */
export function event(kind: EventKind, fields: Record<string, unknown>): KindedEvent {
  const ts = fields.ts as number
  const result = validateEvent(
    kind,
    { event_id: `e${++counter}`, ...fields },
    { tenant: 'acme', observedAt: ts },
  )
  if (!result.ok) throw new Error(result.reason)
  return { kind, event: result.event as AnyEvent }
}

export const flow = (fields: Record<string, unknown>) => event('flow', fields)
export const decision = (fields: Record<string, unknown>) => event('decision', fields)

/** Feed events in the order given, one state per key, as the runtime does. */
export function run(
  detector: Detector,
  events: Iterable<KindedEvent>,
  states: Map<string, unknown> = new Map(),
): DetectedFinding[] {
  return runDetector(detector, events, states)
}

/** Shuffle events within blocks of `block` (deterministic): out-of-order delivery of a few minutes. */
export function jumble<T>(items: readonly T[], block: number): T[] {
  const out: T[] = []
  for (let i = 0; i < items.length; i += block) out.push(...items.slice(i, i + block).reverse())
  return out
}
