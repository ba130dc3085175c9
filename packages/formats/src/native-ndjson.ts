import { type EventKind, eventKinds } from '@palisade/schema'
import type { FormatParser, ParseResult } from './format-parser.ts'
import { jsonElementSpans } from './json-spans.ts'

/**
 * Split a body into JSON values: a body whose first character is `[` is one JSON array (element n
 * is "line" n); anything else is NDJSON, each non-blank line parsed on its own so that one bad
 * line costs only itself. Throws only when a `[` body is not a valid array (nothing is readable).
 */
export function splitJsonRecords(
  text: string,
): { line: number; raw: string; value?: unknown; reason?: string }[] {
  const trimmed = text.trimStart()
  if (trimmed.startsWith('[')) {
    const array = JSON.parse(trimmed) as unknown
    if (!Array.isArray(array)) throw new SyntaxError('body is not a JSON array')
    // Each element kept as the bytes it came in (re-serialised, `1e400` would become `null`).
    const spans = jsonElementSpans(trimmed, 0)
    return array.map((value, index) => ({
      line: index + 1,
      raw: trimmed.slice(spans[index]!.start, spans[index]!.end),
      value,
    }))
  }
  const records: { line: number; raw: string; value?: unknown; reason?: string }[] = []
  const lines = text.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!
    // The hot path of every NDJSON body: no copy of a line that has no `\r`, no trim of one that starts with `{`.
    const raw = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line
    if (raw.charCodeAt(0) !== 123 && raw.trim() === '') continue
    try {
      records.push({ line: index + 1, raw, value: JSON.parse(raw) })
    } catch (error) {
      records.push({ line: index + 1, raw, reason: `not valid JSON: ${(error as Error).message}` })
    }
  }
  return records
}

/**
 * Cut text on line boundaries into parts of about `maxChars`, each with the line number its first
 * line had in the whole input.
 */
export function splitAtLines(input: string, maxChars: number): { text: string; firstLine: number }[] {
  if (input.length <= maxChars) return [{ text: input, firstLine: 1 }]
  const parts: { text: string; firstLine: number }[] = []
  let start = 0
  let line = 1
  while (start < input.length) {
    let end = Math.min(input.length, start + maxChars)
    if (end < input.length) {
      const newline = input.lastIndexOf('\n', end)
      end = newline > start ? newline + 1 : input.indexOf('\n', end) + 1 || input.length
    }
    const text = input.slice(start, end)
    parts.push({ text, firstLine: line })
    // Newlines found by `indexOf`, not a loop over every character (the collector cuts every large body).
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) line++
    start = end
  }
  return parts
}

/**
 * Split NDJSON into parts of about `maxChars` on line boundaries; a JSON array is one document, kept
 * whole. Each part must parse as it would in the whole body: a part that would begin with a line
 * starting `[` (an array on one line of NDJSON, which validation rejects as not an object) would be
 * read as a JSON array document, so it goes with the part before it instead.
 */
export function splitLines(input: string, maxChars: number): { text: string; firstLine: number }[] {
  if (input.trimStart().startsWith('[')) return [{ text: input, firstLine: 1 }]
  const parts = splitAtLines(input, maxChars)
  const kept: { text: string; firstLine: number }[] = []
  for (const part of parts) {
    const previous = kept[kept.length - 1]
    if (previous !== undefined && part.text.trimStart().startsWith('[')) previous.text += part.text
    else kept.push(part)
  }
  return kept
}

/** Our own schema, one kind per endpoint: records pass through as they are. */
export function nativeParser(kind: EventKind): FormatParser {
  return {
    name: kind,
    description: `Palisade's own ${kind} events, NDJSON or a JSON array`,
    kinds: [kind],
    splitInput: splitLines,
    parse(input): ParseResult {
      const result: ParseResult = { records: [], rejected: [] }
      for (const record of splitJsonRecords(input)) {
        if (record.reason !== undefined)
          result.rejected.push({ line: record.line, raw: record.raw, reason: record.reason })
        else
          result.records.push({
            line: record.line,
            raw: record.raw,
            kind,
            event: record.value as Record<string, unknown>,
          })
      }
      return result
    },
  }
}

/** The native parsers, by kind. */
export const nativeParsers: FormatParser[] = eventKinds.map(nativeParser)
