import type { EventKind } from '@palisade/schema'
import type { ParseResult } from '../format-parser.ts'
import type { SkipOtherEvents } from './source-values.ts'

/**
 * What an identity format makes of one source record: an `auth` event (or, with `kind`, a `token`
 * event: a credential issued, refreshed or revoked), or the reason it is none.
 * `other` marks a record that was read but is no authentication attempt (another event type, a
 * server line): rejected like the rest unless the parser was told to skip such records.
 */
export type AuthMapping =
  | { event: Record<string, unknown>; kind?: EventKind }
  | { reason: string; other?: true }

/**
 * Adds one record's mapping to a parse result, dropping its undefined fields (the schema is
 * strict). A bad `skip_other_events` value rejects every record it would decide about.
 */
export function addAuthMapping(
  result: ParseResult,
  record: { line: number; raw: string },
  mapping: AuthMapping,
  others: SkipOtherEvents,
): void {
  if ('problem' in others && ('event' in mapping || mapping.other)) {
    result.rejected.push({ line: record.line, raw: record.raw, reason: others.problem })
  } else if ('event' in mapping) {
    const event = mapping.event
    for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key]
    result.records.push({ line: record.line, raw: record.raw, kind: mapping.kind ?? 'auth', event })
  } else if (!(mapping.other && 'skip' in others && others.skip)) {
    result.rejected.push({ line: record.line, raw: record.raw, reason: mapping.reason })
  }
}
