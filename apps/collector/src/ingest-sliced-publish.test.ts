import { type Bus, createInProcessBus, topics } from '@palisade/bus'
import { afterEach, describe, expect, it } from 'vitest'
import { type CollectorServer, serveCollector } from './testing/collector-server.ts'

// A bus that asks for slices (`publishSliceSize`, as the Kafka bus does) gets a large body's valid
// events in slices handed over while the rest is validated; the answer still comes only once every
// slice and the quarantine are held, and says what a whole-body publish says. The bus here is the
// real in-process one with the hint set, so that what each publish carried can be seen.

const token = 'sliced-publish-token-0123456789'
const sliceSize = 100
let server: CollectorServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** 1,000 flow lines of about 300 bytes (several parse parts), lines 17 and 640 invalid, 333 not JSON. */
function bodyWithBadLines() {
  const ts = Date.now() - 60_000
  const lines = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({
      event_id: `sliced-${i + 1}`,
      ts: ts + i,
      source: 'hubble',
      service: 'checkout.shop',
      src_identity: 'spiffe://cluster.local/ns/shop/sa/frontend',
      dst_identity: 'spiffe://cluster.local/ns/shop/sa/checkout',
      src_ip: '10.244.1.17',
      dst_ip: '10.244.2.9',
      src_port: 40_000 + i,
      dst_port: 8080,
      protocol: 'tcp',
      verdict: 'allowed',
      bytes_sent: 512,
      bytes_received: 2048,
    }),
  )
  lines[16] = lines[16]!.replace('"dst_port":8080', '"dst_port":"eighty"')
  lines[639] = lines[639]!.replace('"verdict":"allowed"', '"verdict":"maybe"')
  lines[332] = '{"event_id":"sliced-333","ts":'
  return lines
}

async function post(url: string, body: string) {
  const response = await fetch(`${url}/v1/ingest/flow`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body,
  })
  return { status: response.status, answer: (await response.json()) as Record<string, unknown> }
}

describe('POST /v1/ingest/:format > a bus that takes slices', () => {
  it('publishes the valid events in slices, each once and in order, and answers as for one publish', async () => {
    const bus = createInProcessBus({ acknowledgingGroups: ['store'] })
    const batches = new Map<string, { event_id: string }[][]>()
    await bus.subscribe<{ event_id: string }>(
      'store',
      [topics.events('flow'), topics.quarantine],
      async (batch) => {
        const list = batches.get(batch.topic) ?? []
        list.push(batch.messages.map((message) => message.value))
        batches.set(batch.topic, list)
      },
    )
    const sliced: Bus = { ...bus, publishSliceSize: sliceSize }
    server = await serveCollector(sliced, token)
    const lines = bodyWithBadLines()
    expect(Buffer.byteLength(lines.join('\n'))).toBeGreaterThan(3 * 64 * 1024)

    const { status, answer } = await post(server.url, lines.join('\n'))

    expect(status).toBe(200)
    expect(answer).toMatchObject({ accepted: 997, rejected: 3 })
    expect((answer.errors as { line: number }[]).map((error) => error.line)).toEqual([17, 333, 640])
    const flowBatches = batches.get(topics.events('flow')) ?? []
    expect(flowBatches.length).toBeGreaterThan(1)
    for (const batch of flowBatches.slice(0, -1)) expect(batch.length % sliceSize).toBe(0)
    const expectedIds = lines
      .map((_, i) => `sliced-${i + 1}`)
      .filter((id) => !['sliced-17', 'sliced-333', 'sliced-640'].includes(id))
    expect(flowBatches.flat().map((event) => event.event_id)).toEqual(expectedIds)
    const quarantined = (batches.get(topics.quarantine) ?? []).flat() as unknown as {
      line: number
      raw: string
    }[]
    expect(quarantined.map((record) => [record.line, record.raw])).toEqual([
      [17, lines[16]],
      [333, lines[332]],
      [640, lines[639]],
    ])
    await bus.close()
  })

  it('hands a bus that reads its list later only what each slice holds, so nothing goes twice', async () => {
    const bus = createInProcessBus({ acknowledgingGroups: ['store'] })
    const ids: string[] = []
    await bus.subscribe<{ event_id: string }>('store', [topics.events('flow')], async (batch) => {
      for (const message of batch.messages) ids.push(message.value.event_id)
    })
    // As the Kafka producer does, the list a publish was given is read after validation went on.
    const later: Bus = {
      ...bus,
      publishSliceSize: 128,
      publish: async (topic, messages) => {
        await new Promise((resolve) => setTimeout(resolve, 50))
        await bus.publish(topic, messages)
      },
    }
    server = await serveCollector(later, token)
    const valid = bodyWithBadLines().filter((_, i) => i !== 16 && i !== 332 && i !== 639)

    const { status, answer } = await post(server.url, valid.join('\n'))

    expect(status).toBe(200)
    expect(answer).toMatchObject({ accepted: 997, rejected: 0 })
    expect(ids).toHaveLength(997)
    expect(new Set(ids).size).toBe(997)
    await bus.close()
  })

  it('answers 503 when one slice is not taken, after every slice handed over has settled', async () => {
    const bus = createInProcessBus({ acknowledgingGroups: ['store'] })
    let flowBatches = 0
    await bus.subscribe('store', [topics.events('flow'), topics.quarantine], async (batch) => {
      if (batch.topic === topics.events('flow') && ++flowBatches === 3) throw new Error('the store is down')
    })
    server = await serveCollector({ ...bus, publishSliceSize: sliceSize }, token)

    const { status, answer } = await post(server.url, bodyWithBadLines().join('\n'))

    expect(status).toBe(503)
    expect(answer).toMatchObject({ error: { code: 'NOT_STORED' } })
    await bus.close()
  })
})
