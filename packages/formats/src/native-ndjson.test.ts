import { describe, expect, it } from 'vitest'
import { nativeParser } from './native-ndjson.ts'

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
