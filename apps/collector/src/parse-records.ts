import { BodyUnreadableError } from './errors.ts'

/** One record of a request body: parsed, or the raw text and why it could not be parsed. */
export type BodyRecord =
  | { line: number; raw: string; value: unknown; ok: true }
  | { line: number; raw: string; reason: string; ok: false }

/**
 * Split a body into records. A body whose first character is `[` is one JSON array (element n is
 * "line" n); anything else is NDJSON, where each non-blank line is parsed on its own so that one
 * bad line costs only itself.
 */
export function parseRecords(body: Buffer): BodyRecord[] {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch (error) {
    throw new BodyUnreadableError('body is not valid UTF-8', error)
  }
  const trimmed = text.trimStart()
  if (trimmed.startsWith('[')) {
    let array: unknown
    try {
      array = JSON.parse(trimmed)
    } catch (error) {
      throw new BodyUnreadableError(
        `body starts with "[" but is not a valid JSON array: ${(error as Error).message}`,
        error,
      )
    }
    if (!Array.isArray(array)) throw new BodyUnreadableError('body is not a JSON array')
    return array.map((value, index) => ({ line: index + 1, raw: JSON.stringify(value), value, ok: true }))
  }
  const records: BodyRecord[] = []
  const lines = text.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!.replace(/\r$/, '')
    if (raw.trim() === '') continue
    try {
      records.push({ line: index + 1, raw, value: JSON.parse(raw), ok: true })
    } catch (error) {
      records.push({ line: index + 1, raw, reason: `not valid JSON: ${(error as Error).message}`, ok: false })
    }
  }
  return records
}
