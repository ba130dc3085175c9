import { describe, expect, it } from 'vitest'
import { nativeParser, splitJsonRecords, splitLines } from './native-ndjson.ts'

describe('native NDJSON parser', () => {
  it('keeps good lines and rejects bad ones with their line numbers', () => {
    const result = nativeParser('auth').parse('{"a":1}\n\nnot json\r\n{"b":2}')
    expect(result.records.map((record) => [record.line, record.event])).toEqual([
      [1, { a: 1 }],
      [4, { b: 2 }],
    ])
    expect(result.rejected).toEqual([
      { line: 3, raw: 'not json', reason: expect.stringContaining('not valid JSON') },
    ])
  })

  it('reads a JSON array, element n as line n', () => {
    const result = nativeParser('flow').parse(' [{"a":1},{"b":2}]')
    expect(result.records.map((record) => record.line)).toEqual([1, 2])
  })

  it('throws on a body that starts as an array but is not one', () => {
    expect(() => nativeParser('flow').parse('[{"a":1}')).toThrow()
  })
})

describe('splitLines', () => {
  it('cuts on line boundaries and keeps the first line number of each part', () => {
    const input = ['a1', 'b22', 'c333', 'd4444', 'e'].join('\n')
    const parts = splitLines(input, 8)
    expect(parts.map((part) => part.text).join('')).toBe(input)
    expect(parts.every((part) => part.text.endsWith('\n') || part === parts.at(-1))).toBe(true)
    expect(parts.map((part) => part.firstLine)).toEqual([1, 3, 4])
  })

  it('keeps a small input or a JSON array whole', () => {
    expect(splitLines('abc', 10)).toEqual([{ text: 'abc', firstLine: 1 }])
    expect(splitLines('[1,2,3,4,5,6]', 3)).toHaveLength(1)
  })
})

describe('splitJsonRecords > arrays', () => {
  it('keeps each element as the bytes it came in, not re-serialised', () => {
    const records = splitJsonRecords('[{"ts":1e400},\n  {"ts": 1.50}]')
    expect(records.map(({ line, raw }) => ({ line, raw }))).toEqual([
      { line: 1, raw: '{"ts":1e400}' },
      { line: 2, raw: '{"ts": 1.50}' },
    ])
  })
})
