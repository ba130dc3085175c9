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
   * The events it reads at all (default: every event of its kinds). Cheap and stateless: it runs
   * before the state look-up and, for re-keyed detectors, before the event crosses the bus again.
   */
  accepts?(event: AnyEvent): boolean
  /**
   * How state is placed. `event` (default): `keyOf` is the event's bus partition key (or coarser
   * only if all its events share a partition), so the consumer owning a partition owns the state
   * of its keys. `rekeyed`: the key is something else (a client IP for password spray, the tenant
   * for cross-source patterns); the runtime re-publishes accepted events keyed by `keyOf` on the
   * re-key topic, and the consumer owning that partition runs the detector. Either way detectors
   * scale out with Kafka partitions.
   */
  partitioning?: 'event' | 'rekeyed'
  /**
   * For re-keyed detectors that need only a heartbeat of each source (telemetry gaps): the runtime
   * forwards at most one event per this key per minute of event time, not every event.
   */
  sampleKeyOf?(event: AnyEvent): string
  /** The key an event's state is kept under. */
  keyOf(event: AnyEvent): string
  /** State for a key seen for the first time. */
  initialState(): State
  step(state: State, event: AnyEvent): DetectedFinding[]
}
