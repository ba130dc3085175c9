import { type Bus, type BusBatch, type Subscription, topics } from '@palisade/bus'
import type { Detector } from '@palisade/detectors'
import { type AnyEvent, type EventKind, eventKinds } from '@palisade/schema'
import type { DetectorRuntime, RekeyedEvent } from './detector-runtime.ts'

/**
 * Join the `detector` consumer group on the topics of the kinds the detectors read and, when some
 * detectors are re-keyed, the `detector-rekeyed` group on the re-key topic; after each rebalance
 * the runtime reloads keyed state (failures go to `onError`; the next one retries).
 */
export async function subscribeDetectors(
  bus: Bus,
  runtime: DetectorRuntime,
  detectors: Detector[],
  onError: (error: unknown) => void = () => {},
): Promise<Subscription> {
  const kinds = eventKinds.filter((kind) => detectors.some((detector) => detector.kinds.includes(kind)))
  const kindByTopic = new Map<string, EventKind>(kinds.map((kind) => [topics.events(kind), kind]))
  const onRebalance = () => {
    runtime.rebalanced().catch((error) => onError(error))
  }
  const subscriptions: Subscription[] = []
  // The re-key stage first, so that nothing the first stage re-publishes waits for a consumer.
  if (detectors.some((detector) => detector.partitioning === 'rekeyed')) {
    subscriptions.push(
      await bus.subscribe(
        'detector-rekeyed',
        [topics.rekeyed],
        async (batch: BusBatch) => {
          await runtime.handleRekeyed(batch.messages.map((message) => message.value as RekeyedEvent))
        },
        { onRebalance },
      ),
    )
  }
  subscriptions.push(
    await bus.subscribe(
      'detector',
      [...kindByTopic.keys()],
      async (batch: BusBatch) => {
        const kind = kindByTopic.get(batch.topic)
        if (!kind) return
        // Checked at the bus edge: what could not be an event was parked there.
        const events = batch.messages.map((message) => message.value as AnyEvent)
        await runtime.handle(kind, events)
      },
      { onRebalance },
    ),
  )
  return {
    async close() {
      for (const subscription of subscriptions.reverse()) await subscription.close()
    },
  } as Subscription
}
