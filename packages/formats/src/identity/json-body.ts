import { splitJsonRecords } from '../native-ndjson.ts'

/** One JSON record of a body: its line (or element), its source text, and its value or why not. */
export interface JsonRecord {
  line: number
  raw: string
  value?: unknown
  reason?: string
}

/**
 * The records an envelope object carries (`{"Records":[...]}`, `{"data":{"events":[...]}}`), or
 * undefined when the value is a record itself.
 */
export type Envelope = (value: unknown) => unknown[] | undefined

function elementRecord(line: number, value: unknown): JsonRecord {
  return { line, raw: JSON.stringify(value), value }
}

/**
 * Split a body into JSON records, in the shapes identity sources deliver: a JSON array (element n is
 * "line" n), one envelope object, pretty-printed or not (element n of its list is "line" n), one
 * record pretty-printed over several lines, or JSON lines, each a record or an envelope (whose
 * records all carry its line). A line that is not JSON costs only itself; a body that starts as an
 * array but is not one throws, as `splitJsonRecords` does (nothing is readable).
 */
export function readJsonBody(text: string, envelope: Envelope): JsonRecord[] {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let whole: unknown
    try {
      whole = JSON.parse(trimmed)
    } catch {
      // Not one object: JSON lines, read one by one below.
    }
    if (whole !== undefined) {
      const inner = envelope(whole)
      if (inner !== undefined) return inner.map((element, index) => elementRecord(index + 1, element))
      // One record pretty-printed over several lines; a one-line body is read as JSON lines below.
      if (trimmed.includes('\n')) {
        const line = text.slice(0, text.indexOf('{')).split('\n').length
        return [{ line, raw: trimmed, value: whole }]
      }
    }
  }
  const records: JsonRecord[] = []
  for (const record of splitJsonRecords(text)) {
    const inner = record.reason === undefined ? envelope(record.value) : undefined
    if (inner === undefined) records.push(record)
    else records.push(...inner.map((element) => elementRecord(record.line, element)))
  }
  return records
}
