import { nativeParser } from '@palisade/formats'
import { describe, expect, it } from 'vitest'
import { parseBody, parseBodyInParts } from './ingest-body.ts'

describe('ingestBody > parseBodyInParts', () => {
  it('parses a large body in parts to the same records, rejections and line numbers as whole', async () => {
    const lines = Array.from({ length: 4000 }, (_, i) =>
      i === 3210
        ? '{"ts": broken'
        : JSON.stringify({ ts: i + 1, dst_port: 443, service: `svc-${'x'.repeat(120)}` }),
    )
    lines.splice(1000, 0, '')
    const body = Buffer.from(lines.join('\n'))
    expect(body.length).toBeGreaterThan(2 * 256 * 1024)
    const parser = nativeParser('flow')
    const inParts = await parseBodyInParts(parser, body)
    expect(inParts).toEqual(parseBody(parser, body))
    expect(inParts.records).toHaveLength(3999)
    expect(inParts.rejected.map((record) => record.line)).toEqual([3212])
    expect(inParts.records.at(-1)?.line).toBe(4001)
  })

  it('reads an NDJSON line holding an array the same in parts as whole, where a part would begin with it', async () => {
    const lines = Array.from({ length: 600 }, (_, i) =>
      JSON.stringify({ ts: i + 1, service: 'z'.repeat(1000) }),
    )
    const parser = nativeParser('flow')
    // The lines that begin the second and third parts become arrays of the same length (the cuts stay).
    for (const { firstLine } of parser.splitInput!(lines.join('\n'), 64 * 1024).slice(1, 3)) {
      const length = lines[firstLine - 1]!.length
      lines[firstLine - 1] = `["${'a'.repeat(length - 4)}"]`
    }
    const body = Buffer.from(lines.join('\n'))
    const parts = parser.splitInput!(body.toString(), 64 * 1024)
    expect(parts.length).toBeGreaterThan(1)
    for (const part of parts.slice(1)) expect(part.text.trimStart().startsWith('[')).toBe(false)
    const inParts = await parseBodyInParts(parser, body)
    expect(inParts).toEqual(parseBody(parser, body))
    expect(inParts.records).toHaveLength(600)
    expect(inParts.rejected).toEqual([])
  })

  it('lets the event loop run between the parts of a large body', async () => {
    const body = Buffer.from(
      Array.from({ length: 3000 }, (_, i) => JSON.stringify({ ts: i + 1, service: 'y'.repeat(200) })).join(
        '\n',
      ),
    )
    const order: string[] = []
    const parsing = parseBodyInParts(nativeParser('flow'), body).then(() => order.push('parsed'))
    setImmediate(() => order.push('event loop'))
    await parsing
    expect(order).toEqual(['event loop', 'parsed'])
  })
})
