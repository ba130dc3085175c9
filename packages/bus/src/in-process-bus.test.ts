import { describe, expect, it } from 'vitest'
import { topics } from './bus.ts'
import type { DeadLetterRecord } from './dead-letter.ts'
import { DeliveryFailedError, TopicCycleError } from './errors.ts'
import { createInProcessBus } from './in-process-bus.ts'

describe('in-process bus', () => {
  it('hands each batch to every subscribed group and resolves after all handled it', async () => {
    const bus = createInProcessBus()
    const seen: string[] = []
    await bus.subscribe('store', ['t'], async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      seen.push(`store:${batch.messages.length}`)
    })
    await bus.subscribe('detect', ['t', 'u'], async (batch) => {
      seen.push(`detect:${batch.topic}`)
    })
    await bus.publish('t', [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ])
    expect(seen.sort()).toEqual(['detect:t', 'store:2'])
    await bus.publish('u', [{ key: 'a', value: 1 }])
    expect(seen).toContain('detect:u')
  })

  it('delivers batches to one group in publish order, one at a time', async () => {
    const bus = createInProcessBus()
    const order: number[] = []
    let running = 0
    let maxRunning = 0
    await bus.subscribe('g', ['t'], async (batch) => {
      running++
      maxRunning = Math.max(maxRunning, running)
      await new Promise((resolve) => setTimeout(resolve, 5))
      order.push(batch.messages[0]!.value as number)
      running--
    })
    await Promise.all([1, 2, 3, 4].map((n) => bus.publish('t', [{ key: 'k', value: n }])))
    expect(order).toEqual([1, 2, 3, 4])
    expect(maxRunning).toBe(1)
  })

  it('hands a concurrent group the next batch while it still handles the last, and close waits for all', async () => {
    const bus = createInProcessBus({ concurrentGroups: ['store'] })
    let running = 0
    let maxRunning = 0
    const handled: number[] = []
    await bus.subscribe('store', ['t'], async (batch) => {
      running++
      maxRunning = Math.max(maxRunning, running)
      await new Promise((resolve) => setTimeout(resolve, 20))
      handled.push(batch.messages[0]!.value as number)
      running--
    })
    const published = Promise.all([1, 2, 3].map((n) => bus.publish('t', [{ key: 'k', value: n }])))
    await bus.close()
    await published
    expect(maxRunning).toBe(3)
    expect(handled.sort()).toEqual([1, 2, 3])
  })

  it('rejects the publish when a group fails, and keeps delivering later batches', async () => {
    const bus = createInProcessBus()
    let calls = 0
    await bus.subscribe('g', ['t'], async () => {
      calls++
      if (calls === 1) throw new Error('disk full')
    })
    await expect(bus.publish('t', [{ key: 'k', value: 1 }])).rejects.toBeInstanceOf(DeliveryFailedError)
    await expect(bus.publish('t', [{ key: 'k', value: 2 }])).resolves.toBeUndefined()
  })

  it('refuses to publish once closed', async () => {
    const bus = createInProcessBus()
    await bus.close()
    await expect(bus.publish('t', [{ key: 'k', value: 1 }])).rejects.toThrow('closed')
  })

  it('refuses a handler publishing to a topic its own group reads, instead of waiting for itself', async () => {
    const bus = createInProcessBus()
    await bus.subscribe<string>('scorer', ['findings'], async () => {
      await bus.publish('findings', [{ key: 'k', value: 'risk' }])
    })
    const failure = await bus.publish('findings', [{ key: 'k', value: 'scan' }]).catch((error) => error)
    expect(failure).toBeInstanceOf(DeliveryFailedError)
    expect(failure.cause).toBeInstanceOf(TopicCycleError)
  })

  it('parks a message that is not what its topic carries, with the reason, and delivers the rest', async () => {
    const bus = createInProcessBus()
    const stored: unknown[] = []
    const parked: DeadLetterRecord[] = []
    await bus.subscribe(
      'store',
      [topics.events('flow')],
      async (batch) => void stored.push(...batch.messages),
    )
    await bus.subscribe<DeadLetterRecord>('parked', [topics.deadLetter], async (batch) => {
      parked.push(...batch.messages.map((message) => message.value))
    })
    const good = { tenant: 'acme', event_id: 'e-1', ts: 1, observed_at: 1 }
    await bus.publish<unknown>(topics.events('flow'), [
      { key: 'k', value: good },
      { key: 'k', value: { hello: 'world' } },
    ])
    expect(stored).toEqual([{ key: 'k', value: good }])
    expect(parked).toEqual([
      {
        topic: topics.events('flow'),
        group: 'store',
        reason: 'tenant missing',
        raw: '{"hello":"world"}',
        key: 'k',
        tenant: '',
        parked_at: expect.any(Number),
      },
    ])
  })
})

describe('in-process bus > groups behind', () => {
  const instantRetry = { retryDelayMs: () => 0 }

  it('answers a publish once the acknowledging group handled it, whatever a group behind does', async () => {
    const bus = createInProcessBus({ acknowledgingGroups: ['store'], ...instantRetry })
    const stored: number[] = []
    let releaseDetector: () => void = () => {}
    const detectorBlocked = new Promise<void>((resolve) => (releaseDetector = resolve))
    const detected: number[] = []
    await bus.subscribe<number>('store', ['t'], async (batch) => void stored.push(batch.messages[0]!.value))
    await bus.subscribe<number>('detect', ['t'], async (batch) => {
      await detectorBlocked
      detected.push(batch.messages[0]!.value)
    })
    await bus.publish('t', [{ key: 'k', value: 1 }])
    await bus.publish('t', [{ key: 'k', value: 2 }])
    expect(stored).toEqual([1, 2])
    expect(detected).toEqual([])
    expect(bus.queuedBatches().get('detect')).toBe(1)
    releaseDetector()
    await bus.close()
    expect(detected).toEqual([1, 2])
  })

  it('does not fail a publish when a group behind fails: it retries, then parks the batch with the reason', async () => {
    const failures: string[] = []
    const bus = createInProcessBus({
      acknowledgingGroups: ['store'],
      maxAttempts: 3,
      onBehindFailure: (failure) => failures.push(failure.message),
      ...instantRetry,
    })
    const parked: DeadLetterRecord[] = []
    await bus.subscribe('store', ['t', topics.deadLetter], async (batch) => {
      if (batch.topic === topics.deadLetter)
        parked.push(...batch.messages.map((m) => m.value as DeadLetterRecord))
    })
    let tries = 0
    await bus.subscribe('detect', ['t'], async () => {
      tries++
      throw new Error('detector bug')
    })
    await expect(bus.publish('t', [{ key: 'k', value: { tenant: 'acme' } }])).resolves.toBeUndefined()
    await bus.close()
    expect(tries).toBe(3)
    expect(failures).toHaveLength(3)
    expect(parked).toHaveLength(1)
    expect(parked[0]).toMatchObject({ topic: 't', group: 'detect', tenant: 'acme', raw: '{"tenant":"acme"}' })
    expect(parked[0]!.reason).toContain('detector bug')
  })

  it('makes publishers wait while a group behind has its queue full (bounded lag)', async () => {
    const bus = createInProcessBus({ acknowledgingGroups: [], maxQueuedBatches: 2 })
    let release: () => void = () => {}
    const blocked = new Promise<void>((resolve) => (release = resolve))
    await bus.subscribe('slow', ['t'], async () => blocked)
    // The first batch is taken into the handler, two more fill the queue; the fourth must wait.
    for (let n = 1; n <= 3; n++) await bus.publish('t', [{ key: 'k', value: n }])
    let fourthDone = false
    const fourth = bus.publish('t', [{ key: 'k', value: 4 }]).then(() => (fourthDone = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(fourthDone).toBe(false)
    expect(bus.queuedBatches().get('slow')).toBe(2)
    release()
    await fourth
    expect(fourthDone).toBe(true)
    await bus.close()
  })

  it('makes publishers wait while a group behind has its messages bound reached, batches of any size', async () => {
    const bus = createInProcessBus({ acknowledgingGroups: [], maxQueuedMessages: 3 })
    let release: () => void = () => {}
    const blocked = new Promise<void>((resolve) => (release = resolve))
    await bus.subscribe('slow', ['t'], async () => blocked)
    const batch = (n: number) => Array.from({ length: n }, (_, value) => ({ key: 'k', value }))
    // The first batch is taken into the handler; a batch of 2 is queued; 2 more would pass the bound.
    await bus.publish('t', batch(5))
    await bus.publish('t', batch(2))
    let thirdDone = false
    const third = bus.publish('t', batch(2)).then(() => (thirdDone = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(thirdDone).toBe(false)
    release()
    await third
    expect(thirdDone).toBe(true)
    await bus.close()
  })
})
