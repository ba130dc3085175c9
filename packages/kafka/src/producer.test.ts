import { describe, expect, it } from 'vitest'
import { encodeMessages, nextProduceRequest, type Pending } from './producer.ts'

function pending(topic: string, keys: string[], bytes = 100): Pending {
  return {
    topic,
    messages: keys.map((key) => ({ key, value: `{"id":"${key}"}`, bytes })),
    sent: 0,
    inFlight: false,
    resolve: () => {},
    reject: () => {},
  }
}
const keysOf = (request: ReturnType<typeof nextProduceRequest>) =>
  Object.fromEntries([...request.byTopic].map(([topic, messages]) => [topic, messages.map((m) => m.key)]))

describe('Producer > nextProduceRequest', () => {
  it('coalesces the waiting callers into one request, per topic in queue order', () => {
    const queue = [pending('flow', ['a', 'b']), pending('quarantine', ['q']), pending('flow', ['c'])]
    const request = nextProduceRequest(queue, 10_000)
    expect(keysOf(request)).toEqual({ flow: ['a', 'b', 'c'], quarantine: ['q'] })
    expect(request.slices.map((slice) => slice.to)).toEqual([2, 1, 1])
  })

  it('stops at the size limit, cutting a publish that does not fit and carrying on from there next time', () => {
    const big = pending('flow', ['a', 'b', 'c', 'd', 'e'])
    const queue = [big, pending('flow', ['f'])]
    const first = nextProduceRequest(queue, 250)
    expect(keysOf(first)).toEqual({ flow: ['a', 'b'] })
    big.sent = first.slices[0]!.to
    expect(keysOf(nextProduceRequest(queue, 250))).toEqual({ flow: ['c', 'd'] })
  })

  it('sends a message larger than the limit alone rather than never', () => {
    const request = nextProduceRequest([pending('flow', ['huge'], 5000), pending('flow', ['next'])], 1000)
    expect(keysOf(request)).toEqual({ flow: ['huge'] })
  })
})

describe('Producer > encodeMessages', () => {
  it('encodes each value as JSON and counts its size on the wire in bytes, not characters', async () => {
    const [message] = await encodeMessages([{ key: 'tenant/ü', value: { name: 'é' } }])
    expect(message).toEqual({ key: 'tenant/ü', value: '{"name":"é"}', bytes: 13 + 9 + 64 })
  })

  it("sends a message's own JSON text as it is, when it came with one", async () => {
    const json = '{"name": "\\u00e9", "n": 1.50}'
    const [message] = await encodeMessages([{ key: 'k', value: JSON.parse(json), json }])
    expect(message?.value).toBe(json)
  })

  it('lets the event loop run between slices of a large publish (an acknowledgement is not held up)', async () => {
    const order: string[] = []
    const messages = Array.from({ length: 2500 }, (_, i) => ({ key: `k${i}`, value: { i } }))
    const encoding = encodeMessages(messages).then((encoded) => order.push(`encoded ${encoded.length}`))
    setImmediate(() => order.push('event loop'))
    await encoding
    expect(order).toEqual(['event loop', 'encoded 2500'])
  })
})
