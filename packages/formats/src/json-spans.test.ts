import { describe, expect, it } from 'vitest'
import { jsonElementSpans, jsonMemberSpan, jsonValueSpan, lineNumbers } from './json-spans.ts'

describe('json spans', () => {
  const text = '{"a": "x\\"]}", "records": [ {"n": 1e400},\n  "s,]", [1, [2]], -0.5e-3 , true], "z": null}'
  const slice = (span: { start: number; end: number }) => text.slice(span.start, span.end)

  it('finds each element of an array as the bytes it was sent in', () => {
    const records = jsonMemberSpan(text, 0, 'records')!
    expect(jsonElementSpans(text, records.start).map(slice)).toEqual([
      '{"n": 1e400}',
      '"s,]"',
      '[1, [2]]',
      '-0.5e-3',
      'true',
    ])
  })

  it('finds a member past strings holding brackets, and the whole value', () => {
    expect(slice(jsonMemberSpan(text, 0, 'z')!)).toBe('null')
    expect(jsonMemberSpan(text, 0, 'missing')).toBeUndefined()
    expect(slice(jsonValueSpan(text, 0))).toBe(text)
  })

  it('numbers offsets by line', () => {
    const lineOf = lineNumbers('a\nbb\n\nc')
    expect([0, 1, 2, 4, 5, 6].map(lineOf)).toEqual([1, 1, 2, 2, 3, 4])
  })
})
