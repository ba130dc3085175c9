import type { AnyEvent } from './event-kinds.ts'

import { maxEventTime, minEventTime } from './fields.ts'

/**
 * Why a message on an event topic is not a storable event, or undefined when it is. The collector
 * validated what it published; this guards the store against what others put on the topics (a
 * foreign producer, a bug), so that one bad message goes to the dead-letter topic instead of
 * failing its whole batch again and again.
 */
export function storedEventProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object'
  const event = value as Partial<AnyEvent> & Record<string, unknown>
  if (typeof event.tenant !== 'string' || event.tenant === '') return 'tenant missing'
  if (typeof event.event_id !== 'string' || event.event_id === '') return 'event_id missing'
  if (
    typeof event.ts !== 'number' ||
    !Number.isFinite(event.ts) ||
    event.ts < minEventTime ||
    event.ts > maxEventTime
  ) {
    return 'ts is not an epoch-ms time'
  }
  if (typeof event.observed_at !== 'number') return 'observed_at missing'
  return undefined
}
