import type { AnyEvent, EventKind } from '@palisade/schema'
import type { DetectedFinding, Detector } from './detector.ts'

/** An event with its kind, as topics deliver them. */
export interface KindedEvent {
  kind: EventKind
  event: AnyEvent
}

/**
 * Feed events to a detector as the runtime does (only its kinds and the events it accepts, one
 * state per key, in the order given) and collect its findings. For tests, rule tests and benchmarks.
 */
export function runDetector<State>(
  detector: Detector<State>,
  events: Iterable<KindedEvent>,
  states: Map<string, State> = new Map(),
): DetectedFinding[] {
  const findings: DetectedFinding[] = []
  const sampled = createHeartbeatSampler()
  for (const { kind, event } of events) {
    if (!detector.kinds.includes(kind)) continue
    if (detector.accepts && !detector.accepts(event)) continue
    if (!sampled.takes(detector, event)) continue
    const key = detector.keyOf(event)
    let state = states.get(key)
    if (state === undefined) {
      state = detector.initialState()
      states.set(key, state)
    }
    findings.push(...detector.step(state, event))
  }
  return findings
}

/**
 * For heartbeat detectors (`sampleKeyOf`): lets through the first event per sample key per minute
 * of event time, and every event of other detectors. Memory stays bounded: past `capacity` keys it
 * starts again (a repeat heartbeat is harmless).
 */
export function createHeartbeatSampler(capacity = 100_000) {
  /** detector id → sample key → minute of event time last let through. */
  const last = new Map<string, Map<string, number>>()
  return {
    takes(detector: Pick<Detector<unknown>, 'id' | 'sampleKeyOf'>, event: AnyEvent): boolean {
      if (!detector.sampleKeyOf) return true
      let seen = last.get(detector.id)
      if (seen === undefined) {
        seen = new Map()
        last.set(detector.id, seen)
      }
      const sampleKey = detector.sampleKeyOf(event)
      const minute = Math.floor(event.ts / 60_000)
      if (seen.get(sampleKey) === minute) return false
      if (seen.size >= capacity) seen.clear()
      seen.set(sampleKey, minute)
      return true
    },
  }
}
