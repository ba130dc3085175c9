import { validateEvent } from '@palisade/schema'
import { expect } from 'vitest'
import type { ParseResult } from '../../format-parser.ts'

/**
 * Every event a parser made passes the schema's validator (on a copy: the validator completes the
 * record in place), which proves the mapping fits the strict `flow` kind; a failure names the line.
 */
export function expectValidFlows(result: ParseResult): void {
  for (const record of result.records) {
    const outcome = validateEvent('flow', structuredClone(record.event), { tenant: 't', observedAt: 0 })
    expect(outcome.ok ? 'valid' : `line ${record.line}: ${outcome.reason}`).toBe('valid')
  }
}
