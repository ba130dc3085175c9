import { eventKinds, storedEventProblem } from '@palisade/schema'
import { topics } from './bus.ts'
import { readDeadLetter } from './dead-letter.ts'

/** A message read at the bus edge: its value as consumers may take it, or why it cannot be used. */
export type MessageReading = { ok: true; value: unknown } | { ok: false; problem: string }

const eventTopics = new Set<string>(eventKinds.map((kind) => topics.events(kind)))

function objectProblem(value: unknown): string | undefined {
  return value === null || typeof value !== 'object' || Array.isArray(value) ? 'not a JSON object' : undefined
}

function stringFieldsProblem(value: unknown, fields: string[]): string | undefined {
  const problem = objectProblem(value)
  if (problem) return problem
  const record = value as Record<string, unknown>
  const missing = fields.find((field) => typeof record[field] !== 'string')
  return missing ? `${missing} missing` : undefined
}

/** What each topic's messages must be for its consumers to take them without checking again. */
function problemOn(topic: string, value: unknown): string | undefined {
  if (eventTopics.has(topic)) return storedEventProblem(value)
  switch (topic) {
    case topics.findings:
    case topics.riskFindings:
      return stringFieldsProblem(value, ['tenant', 'finding_id', 'rule'])
    case topics.alerts:
      return stringFieldsProblem(value, ['tenant', 'status'])
    case topics.quarantine:
      return stringFieldsProblem(value, ['tenant', 'kind', 'raw', 'reason'])
    case topics.rekeyed:
      return (
        stringFieldsProblem(value, ['kind']) ??
        storedEventProblem((value as { event?: unknown }).event)?.replace(/^/, 'event: ')
      )
    default:
      return undefined
  }
}

/**
 * Check a decoded message against what its topic carries, once, where it enters a consumer (the
 * bus edge): consumers then take the value as typed. A dead-letter record in an older shape is
 * read into today's. Topics this does not know pass as they are.
 */
export function readMessage(topic: string, value: unknown): MessageReading {
  if (topic === topics.deadLetter) {
    const record = readDeadLetter(value)
    return record ? { ok: true, value: record } : { ok: false, problem: 'not a dead-letter record' }
  }
  const problem = problemOn(topic, value)
  return problem ? { ok: false, problem } : { ok: true, value }
}
