import { createInProcessBus, topics } from '@palisade/bus'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { serveCollector } from './testing/collector-server.ts'

// The collector's routes on a real HTTP server and the real in-process bus as the all-in-one sets
// it up: the store-side consumer acknowledges (we hold it back to fill the collector up), a
// detector consumes behind it.

// Within the store's retention: older events are refused, not stored.
const recent = Date.now() - 60_000
const detectorFailures: string[] = []
const bus = createInProcessBus({
  acknowledgingGroups: ['store'],
  maxAttempts: 2,
  retryDelayMs: () => 0,
  onBehindFailure: (failure) => detectorFailures.push(failure.message),
})
let detectorFails = false
let release: () => void = () => {}
let held = new Promise<void>((resolve) => (release = resolve))
const stored: unknown[] = []
let base: string
let close: () => Promise<void>

beforeAll(async () => {
  await bus.subscribe('store', [topics.events('auth'), topics.quarantine], async (batch) => {
    await held
    stored.push(...batch.messages.map((message) => message.value))
  })
  await bus.subscribe('detector', [topics.events('auth')], async () => {
    if (detectorFails) throw new Error('detector bug')
  })
  const server = await serveCollector(bus, 'collector-test-token', {
    maxConcurrentRequests: 2,
    maxBytesInFlight: 1024 * 1024,
  })
  base = server.url
  close = server.close
})
afterAll(() => close())

const post = (body: string) =>
  fetch(`${base}/v1/ingest/auth`, {
    method: 'POST',
    headers: { authorization: 'Bearer collector-test-token' },
    body,
  })

describe('collector under overload', () => {
  it('answers 429 with Retry-After once the in-flight limit is reached, and stores what it admitted', async () => {
    const line = (n: number) =>
      JSON.stringify({ ts: recent + n, principal: `u${n}@acme.io`, outcome: 'success' })
    const admitted = [post(line(1)), post(line(2))]
    await new Promise((resolve) => setTimeout(resolve, 100))
    const refused = await post(line(3))
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED')

    release()
    const answers = await Promise.all(admitted)
    expect(answers.map((answer) => answer.status)).toEqual([200, 200])
    expect(stored).toHaveLength(2)
    // Capacity is back once the held requests finished.
    expect((await post(line(4))).status).toBe(200)
  })

  it('answers 200 for events that were stored even when a detector behind fails on them', async () => {
    detectorFails = true
    const response = await post(
      JSON.stringify({ ts: recent + 8, principal: 'y@acme.io', outcome: 'success' }),
    )
    expect(response.status).toBe(200)
    expect(((await response.json()) as { accepted: number }).accepted).toBe(1)
    expect(stored).toContainEqual(expect.objectContaining({ principal: 'y@acme.io' }))
    await vi.waitFor(() => expect(detectorFailures).toHaveLength(2))
    expect(detectorFailures[0]).toContain('detector bug')
  })

  it('answers 503 (not stored, retry) when the store side fails, never 200', async () => {
    held = Promise.reject(new Error('disk full'))
    held.catch(() => {})
    const response = await post(
      JSON.stringify({ ts: recent + 9, principal: 'x@acme.io', outcome: 'success' }),
    )
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    // What the store said stays in the server log: a client never sees engine internals.
    expect(JSON.stringify(await response.json())).not.toContain('disk full')
  })
})
