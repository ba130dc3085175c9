import type { AnyEvent, EventKind, Finding } from '@palisade/schema'

/** A finding as a detector emits it: the runtime adds the wall-clock `detected_at`. */
export type DetectedFinding = Omit<Finding, 'detected_at'>

/**
 * A detector: a deterministic state machine per key. `step` reads one event and the state of the
 * event's key and returns findings; it may update the state it was given (the runtime owns it) but
 * does no I/O and reads no clock: time is the events' own, so replaying yesterday's telemetry gives
 * the same findings as live. State must be plain JSON, so the runtime can checkpoint it.
 */
export interface Detector<State = unknown> {
  /** Rule id, such as `lateral.new_edge`. */
  id: string
  /** The kinds of events it reads. */
  kinds: readonly EventKind[]
  /**
   * The key an event's state is kept under. It must be the event's bus partition key (or coarser
   * only if all its events share a partition), so that the consumer owning a partition owns the
   * state of its keys and detectors scale out with Kafka partitions.
   */
  keyOf(event: AnyEvent): string
  /** State for a key seen for the first time. */
  initialState(): State
  step(state: State, event: AnyEvent): DetectedFinding[]
}
