import { describe, expect, it } from 'vitest'
import { DeliveryFailedError } from './errors.ts'
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

  it('lets a handler publish to a topic its own group reads: the batch runs after the one in hand', async () => {
    const bus = createInProcessBus()
    const seen: string[] = []
    await bus.subscribe<string>('scorer', ['findings'], async (batch) => {
      for (const message of batch.messages) {
        seen.push(message.value)
        if (message.value === 'scan') await bus.publish('findings', [{ key: 'k', value: 'risk' }])
      }
    })
    await bus.publish('findings', [{ key: 'k', value: 'scan' }])
    await bus.close()
    expect(seen).toEqual(['scan', 'risk'])
  })
})
