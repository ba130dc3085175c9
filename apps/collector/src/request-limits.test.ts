import { connect, type Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { createInProcessBus, topics } from '@palisade/bus'
import type { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { CollectorConfig } from './config.ts'
import { serveCollector } from './testing/collector-server.ts'

// The collector's routes on a real HTTP server and the real in-process bus, whose store side can
// be held back so that admitted requests keep what they hold.

const token = 'limits-test-token'
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

async function startCollector(limits: Partial<Omit<CollectorConfig, 'host' | 'port'>>) {
  const bus = createInProcessBus()
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  await bus.subscribe('store', [topics.events('auth'), topics.quarantine], async () => {
    await held
  })
  const server = await serveCollector(bus, token, {
    maxBodyBytes: 4 * 1024 * 1024,
    maxDecompressedBytes: 4 * 1024 * 1024,
    maxBytesInFlight: 1024 * 1024,
    minBodyBytesPerSecond: 1,
    ...limits,
  })
  stops.push(async () => {
    release()
    await server.close()
    await bus.close()
  })
  return { ...server, release }
}

/** `count` auth records as NDJSON, each padded with `padding` spaces (which gzip makes nothing of). */
function authLines(count: number, from = 0, padding = 0): string {
  const lines: string[] = []
  for (let n = from; n < from + count; n++)
    lines.push(
      JSON.stringify({ ts: 1_796_650_000_000 + n, principal: `user${n}@acme.io`, outcome: 'success' }) +
        ' '.repeat(padding),
    )
  return `${lines.join('\n')}\n`
}

const postGzip = (url: string, body: string) =>
  fetch(`${url}/v1/ingest/auth`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-encoding': 'gzip' },
    body: gzipSync(body),
  })

/** Resolves with everything the server wrote on a raw connection, once it closes it. */
function rawExchange(port: number, send: string): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1')
  socket.write(send)
  let text = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk
  })
  const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(text)))
  return { socket, answer }
}

async function metricValue(metrics: Registry, name: string): Promise<number> {
  const metric = await metrics.getSingleMetric(name)?.get()
  return metric?.values[0]?.value ?? Number.NaN
}

describe('collector memory budget', () => {
  it('counts gzip bodies at their inflated size, so a second large inflating body gets 429', async () => {
    const collector = await startCollector({ maxBytesInFlight: 1024 * 1024 })
    // About 700 KiB once inflated, a few KiB on the wire: over 100x, well past any assumed ratio.
    const body = authLines(700, 0, 1000)
    expect(gzipSync(body).length * 16).toBeLessThan(256 * 1024)
    const first = postGzip(collector.url, body)
    // The first is admitted and waits for the held store with its inflated body counted.
    await expect
      .poll(() => metricValue(collector.metrics, 'palisade_collector_bytes_in_flight'))
      .toBeGreaterThan(700_000)
    const second = await postGzip(collector.url, authLines(700, 700, 1000))
    expect(second.status).toBe(429)
    expect(second.headers.get('retry-after')).toBe('1')
    collector.release()
    expect((await first).status).toBe(200)
    // The budget is given back: the same body is admitted again.
    expect((await postGzip(collector.url, authLines(700, 700, 1000))).status).toBe(200)
    expect(await metricValue(collector.metrics, 'palisade_collector_bytes_in_flight')).toBe(0)
  })
})

describe('collector request pace', () => {
  it('answers a body that stalls with 408 and frees its slot for the next client', async () => {
    const collector = await startCollector({ maxConcurrentRequests: 1, bodyIdleTimeoutMs: 200 })
    const stalled = rawExchange(
      collector.port,
      `POST /v1/ingest/auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 1000000\r\n\r\n{"ts":`,
    )
    const answer = await stalled.answer
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toContain('"REQUEST_TIMEOUT"')
    const next = fetch(`${collector.url}/v1/ingest/auth`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: authLines(1),
    })
    collector.release()
    expect((await next).status).toBe(200)
  })

  it('answers a body that trickles under the minimum rate with 408', async () => {
    const collector = await startCollector({ bodyIdleTimeoutMs: 300, minBodyBytesPerSecond: 10_000 })
    const trickle = rawExchange(
      collector.port,
      `POST /v1/ingest/auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 1000000\r\n\r\n`,
    )
    // One byte every 50 ms never pauses long enough to be idle, but is far under 10 kB/s.
    const drip = setInterval(() => trickle.socket.write(' '), 50)
    const answer = await trickle.answer
    clearInterval(drip)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toContain('under the minimum')
  })

  it('answers headers that never finish with 408', async () => {
    const collector = await startCollector({ headersTimeoutMs: 200 })
    const slow = rawExchange(collector.port, `POST /v1/ingest/auth HTTP/1.1\r\nHost: x\r\n`)
    expect(await slow.answer).toMatch(/^HTTP\/1\.1 408 /)
  })
})
