import { type Bus, type BusBatch, type Subscription, topics } from '@palisade/bus'
import type { Detector } from '@palisade/detectors'
import { type AnyEvent, type EventKind, eventKinds, storedEventProblem } from '@palisade/schema'
import type { DetectorRuntime } from './detector-runtime.ts'

/**
 * Join the `detector` consumer group on the topics of the kinds the detectors read; after each
 * rebalance the runtime reloads keyed state (failures go to `onError`; the next one retries).
 */
export function subscribeDetectors(
  bus: Bus,
  runtime: DetectorRuntime,
  detectors: Detector[],
  onError: (error: unknown) => void = () => {},
): Promise<Subscription> {
  const kinds = eventKinds.filter((kind) => detectors.some((detector) => detector.kinds.includes(kind)))
  const kindByTopic = new Map<string, EventKind>(kinds.map((kind) => [topics.events(kind), kind]))
  return bus.subscribe(
    'detector',
    [...kindByTopic.keys()],
    async (batch: BusBatch) => {
      const kind = kindByTopic.get(batch.topic)
      if (!kind) return
      // The ingester parks what cannot be an event; here it is simply not read.
      const events = batch.messages
        .filter((message) => storedEventProblem(message.value) === undefined)
        .map((message) => message.value as AnyEvent)
      await runtime.handle(kind, events)
    },
    {
      onRebalance: () => {
        runtime.rebalanced().catch((error) => onError(error))
      },
    },
  )
}
