import { describe, expect, it } from 'vitest'
import { nextProduceRequest, type Pending } from './producer.ts'

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
