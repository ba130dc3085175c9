import { topics } from '@palisade/bus'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CollectorUnderTest, startCollectorUnderTest } from './testing/collector-under-test.ts'

// The reproduction against the collector's routes on a real HTTP server and the in-process
// bus, with the store's default retention (flows 30 days).

let collector: CollectorUnderTest
beforeAll(async () => {
  collector = await startCollectorUnderTest()
})
afterAll(() => collector.close())

describe('POST /v1/ingest/flow > event times the store would not keep', () => {
  it('rejects ts 0 and a flow past its retention with the reason, quarantined as sent; keeps 2106', async () => {
    const lines = [
      '{"event_id":"w2106","ts":"2106-06-01T00:00:00Z","dst_port":1}',
      '{"event_id":"w0","ts":0,"dst_port":1}',
      `{"event_id":"w31","ts":${Date.now() - 31 * 86_400_000},"dst_port":1}`,
    ]
    const response = await fetch(`${collector.url}/v1/ingest/flow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${collector.token}` },
      body: lines.join('\n'),
    })
    expect(response.status).toBe(200)
    const retention = expect.stringContaining('older than the 30-day retention of flow events')
    expect(await response.json()).toMatchObject({
      accepted: 1,
      rejected: 2,
      errors: [
        { line: 2, reason: retention },
        { line: 3, reason: retention },
      ],
    })
    expect(collector.published.get(topics.events('flow'))).toEqual([
      expect.objectContaining({ event_id: 'w2106', ts: Date.parse('2106-06-01T00:00:00Z') }),
    ])
    expect(collector.published.get(topics.quarantine)).toEqual([
      expect.objectContaining({ line: 2, raw: lines[1], reason: retention }),
      expect.objectContaining({ line: 3, raw: lines[2], reason: retention }),
    ])
  })
})
