/**
 * Where the values of a JSON text are, so that a record is quarantined as the bytes it came in
 * (`1e400` stays `1e400`, where `JSON.stringify(JSON.parse(...))` gives `null`) and numbered by its
 * own line. The text must already be known to parse: these scan, they do not validate.
 */

/** A value's place in a text: `text.slice(start, end)` is its source. */
export interface JsonSpan {
  start: number
  end: number
}

function skipSpace(text: string, at: number): number {
  let i = at
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++
  return i
}

/** The end (exclusive) of the value starting at `at`. */
function valueEnd(text: string, at: number): number {
  const first = text[at]
  if (first === '"') {
    let i = at + 1
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    return i + 1
  }
  if (first === '{' || first === '[') {
    let depth = 0
    let i = at
    while (i < text.length) {
      const c = text[i]
      if (c === '"') {
        i = valueEnd(text, i)
        continue
      }
      if (c === '{' || c === '[') depth++
      else if (c === '}' || c === ']') {
        depth--
        if (depth === 0) return i + 1
      }
      i++
    }
    return i
  }
  let i = at
  while (i < text.length && !',]} \n\r\t'.includes(text[i]!)) i++
  return i
}

/** The span of the value that starts at or after `at` (leading whitespace skipped). */
export function jsonValueSpan(text: string, at: number): JsonSpan {
  const start = skipSpace(text, at)
  return { start, end: valueEnd(text, start) }
}

/** The spans of the elements of the array whose `[` is at `at`, in order. */
export function jsonElementSpans(text: string, at: number): JsonSpan[] {
  const spans: JsonSpan[] = []
  let i = skipSpace(text, at + 1)
  while (i < text.length && text[i] !== ']') {
    const span = jsonValueSpan(text, i)
    spans.push(span)
    i = skipSpace(text, span.end)
    if (text[i] === ',') i = skipSpace(text, i + 1)
  }
  return spans
}

/** The span of member `key`'s value in the object whose `{` is at `at` (the last, as JSON.parse keeps). */
export function jsonMemberSpan(text: string, at: number, key: string): JsonSpan | undefined {
  let found: JsonSpan | undefined
  let i = skipSpace(text, at + 1)
  while (i < text.length && text[i] !== '}') {
    const keyEnd = valueEnd(text, i)
    const name = JSON.parse(text.slice(i, keyEnd)) as string
    i = skipSpace(text, keyEnd)
    // Past the `:`.
    const span = jsonValueSpan(text, i + 1)
    if (name === key) found = span
    i = skipSpace(text, span.end)
    if (text[i] === ',') i = skipSpace(text, i + 1)
  }
  return found
}

/** 1-based line of each offset of a text, for offsets asked in increasing order or not. */
export function lineNumbers(text: string): (offset: number) => number {
  const starts = [0]
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return (offset) => {
    let low = 0
    let high = starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (starts[middle]! <= offset) low = middle
      else high = middle - 1
    }
    return low + 1
  }
}
