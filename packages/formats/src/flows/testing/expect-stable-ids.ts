import { expect } from 'vitest'
import type { FormatParser, ParseOptions } from '../../format-parser.ts'

/**
 * Parsing the same input twice gives the same event ids (a replayed file adds nothing), and the ids
 * within one input are distinct. Returns the ids, in record order.
 */
export function expectStableIds(parser: FormatParser, input: string, options?: ParseOptions): string[] {
  const ids = parser.parse(input, options).records.map((record) => record.event.event_id as string)
  expect(parser.parse(input, options).records.map((record) => record.event.event_id)).toEqual(ids)
  expect(new Set(ids).size).toBe(ids.length)
  for (const id of ids) expect(id).toMatch(/^.{1,128}$/)
  return ids
}
