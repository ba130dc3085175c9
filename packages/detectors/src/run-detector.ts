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
  const sampled = new Map<string, number>()
  for (const { kind, event } of events) {
    if (!detector.kinds.includes(kind)) continue
    if (detector.accepts && !detector.accepts(event)) continue
    if (detector.sampleKeyOf) {
      const sampleKey = detector.sampleKeyOf(event)
      const minute = Math.floor(event.ts / 60_000)
      if (sampled.get(sampleKey) === minute) continue
      sampled.set(sampleKey, minute)
    }
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
