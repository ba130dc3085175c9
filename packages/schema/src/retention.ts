import type { EventKind } from './event-kinds.ts'
import { maxEventTime, minEventTime } from './fields.ts'

/** How long each kind of event is kept, in days from its event time (`ts`). */
export type RetentionDays = Readonly<Record<EventKind, number>>

/**
 * The store's defaults: 30 days of flows, mTLS handshakes and decisions (high volume, read for
 * recent detection and SLO windows), 90 of sign-ins (investigations reach further back) and 400 of
 * policy changes (a year of rollouts for drift); token events 90 like sign-ins (revocations are
 * investigated with them), posture checks 30 (agents re-report every few minutes). `PALISADE_RETENTION_DAYS_<KIND>` overrides each.
 */
export const defaultRetentionDays: RetentionDays = {
  flow: 30,
  auth: 90,
  mtls: 30,
  decision: 30,
  policy_change: 400,
  token: 90,
  posture: 30,
}

const dayMs = 86_400_000

/**
 * The oldest event time, epoch ms, that the store keeps for `kind` at `now`: the same bound as the
 * table's TTL (`ts + INTERVAL <days> DAY`), so that an event the collector accepts is not one a
 * merge removes straight away.
 */
export function oldestKeptTime(kind: EventKind, now: number, retention: RetentionDays): number {
  return Math.max(minEventTime, now - retention[kind] * dayMs)
}

/**
 * Why an event time will not be kept by the store, or undefined when it will: before the kind's
 * retention (the TTL would delete it at the next merge) or outside the range the time columns hold.
 * One check for the collector (reject and quarantine) and the ingester (dead-letter instead of a
 * silent TTL drop of a message that waited on the bus).
 */
export function eventTimeProblem(
  kind: EventKind,
  ts: number,
  now: number,
  retention: RetentionDays,
): string | undefined {
  if (!Number.isFinite(ts)) return 'ts: not a time'
  if (ts > maxEventTime) return 'ts: after 2299-12-31, the end of the time range stored'
  if (ts < oldestKeptTime(kind, now, retention)) {
    return `ts: older than the ${retention[kind]}-day retention of ${kind} events, so it would not be kept (raise PALISADE_RETENTION_DAYS_${kind.toUpperCase()} to load older events)`
  }
  return undefined
}
