import { AsyncLocalStorage } from 'node:async_hooks'
import type { BatchHandler, Bus, BusMessage, Subscription } from './bus.ts'
import { BusClosedError, ConsumerGroupTakenError, DeliveryFailedError } from './errors.ts'

interface Group {
  name: string
  topics: Set<string>
  handle: BatchHandler
  /** Batches run one at a time per group, in publish order, like one Kafka partition. */
  tail: Promise<unknown>
  closed: boolean
}

/**
 * The embedded default's bus: one process, no broker. `publish` hands the batch to every group
 * subscribed to the topic and resolves when all have handled it, so a slow consumer slows the
 * publisher (backpressure) instead of growing a queue. A group that fails makes `publish` reject:
 * the caller did not get its events stored and must say so to its client.
 */
export function createInProcessBus(): Bus {
  const groups = new Map<string, Group>()
  let closed = false
  const inFlight = new Set<Promise<unknown>>()
  /** The group whose handler is running, to spot a handler publishing to its own topics. */
  const handling = new AsyncLocalStorage<Group>()

  function deliver(group: Group, topic: string, messages: BusMessage[]): Promise<void> {
    const run = group.tail.then(() => handling.run(group, () => group.handle({ topic, messages })))
    group.tail = run.catch(() => undefined)
    return run.catch((error: unknown) => {
      throw new DeliveryFailedError(group.name, topic, error)
    })
  }

  return {
    async publish(topic, messages) {
      if (closed) throw new BusClosedError()
      if (messages.length === 0) return
      const publisher = handling.getStore()
      const deliveries = [...groups.values()]
        .filter((group) => !group.closed && group.topics.has(topic))
        .map((group) => {
          const delivered = deliver(group, topic, messages as BusMessage[])
          if (group !== publisher) return delivered
          // A handler publishing to a topic its own group reads (the risk scorer's findings): its
          // group runs the batch after the one in hand, as Kafka would; waiting for it here would
          // wait for ourselves.
          const tracked: Promise<unknown> = delivered
            .catch(() => undefined)
            .finally(() => inFlight.delete(tracked))
          inFlight.add(tracked)
          return undefined
        })
      const all = Promise.all(deliveries)
      inFlight.add(all)
      try {
        await all
      } finally {
        inFlight.delete(all)
      }
    },

    async subscribe(name, topicNames, handle) {
      if (closed) throw new BusClosedError()
      const existing = groups.get(name)
      if (existing && !existing.closed) throw new ConsumerGroupTakenError(name)
      const group: Group = {
        name,
        topics: new Set(topicNames),
        handle: handle as BatchHandler,
        tail: Promise.resolve(),
        closed: false,
      }
      groups.set(name, group)
      const subscription: Subscription = {
        async close() {
          group.closed = true
          await group.tail
        },
      }
      return subscription
    },

    async close() {
      closed = true
      await Promise.allSettled([...inFlight])
      for (const group of groups.values()) {
        group.closed = true
        await group.tail
      }
    },
  }
}
