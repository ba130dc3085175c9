import type { DeclaredIntent } from '@palisade/intent'
import { type AnyEvent, type EventKind, type Severity, validateEvent } from '@palisade/schema'
import { assert } from 'vitest'
import type { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import type { DetectorType } from '../rules/detector-type.ts'
import { type KindedEvent, runDetector } from '../run-detector.ts'
import { intentWith } from './intent-with.ts'

/** Start of unit tests' event time: 2026-01-05T10:00:00Z (a Monday), as in rule tests. */
export const t0 = Date.UTC(2026, 0, 5, 10)
export const second = 1000
export const minute = 60_000
export const hour = 3_600_000
export const day = 86_400_000

/**
 * A detector of a type as a rule makes it, for unit tests: params through the type's schema, an
 * intent (default: nothing declared), a severity (default `ticket`).
 */
export function instantiate<S extends z.ZodType>(
  type: DetectorType<S>,
  params: z.input<S> = {} as z.input<S>,
  options: { intent?: DeclaredIntent; severity?: Severity } = {},
): Detector {
  return type.create({
    id: `test.${type.name}`,
    title: type.description,
    severity: options.severity ?? 'ticket',
    params: type.params.parse(params),
    intent: options.intent ?? intentWith(),
  })
}

let counter = 0

/** A validated event of a kind (tenant acme), with an event id `e<n>` unless given. */
export function event(kind: EventKind, fields: Record<string, unknown>): KindedEvent {
  const ts = fields.ts as number
  const result = validateEvent(
    kind,
    { event_id: `e${++counter}`, ...fields },
    { tenant: 'acme', observedAt: ts },
  )
  if (!result.ok) assert.fail(result.reason)
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

/** `count` events `every` ms apart from `from`, made by `make(ts, i)`. */
export function series(
  from: number,
  count: number,
  every: number,
  make: (ts: number, i: number) => KindedEvent,
): KindedEvent[] {
  return Array.from({ length: count }, (_, i) => make(from + i * every, i))
}

/** Events sorted by time (stable), as a rule test feeds them. */
export function byTime(events: readonly KindedEvent[]): KindedEvent[] {
  return events
    .map((item, index) => ({ item, index }))
    .sort((a, b) => a.item.event.ts - b.item.event.ts || a.index - b.index)
    .map(({ item }) => item)
}

/** Reverse events within consecutive blocks of `block`: out-of-order delivery of up to `block` events. */
export function jumble<T>(items: readonly T[], block: number): T[] {
  const out: T[] = []
  for (let i = 0; i < items.length; i += block) out.push(...items.slice(i, i + block).reverse())
  return out
}
