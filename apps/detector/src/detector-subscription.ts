import { type Bus, type BusBatch, type Subscription, topics } from '@palisade/bus'
import type { Detector } from '@palisade/detectors'
import { type AnyEvent, type EventKind, eventKinds } from '@palisade/schema'
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
      await runtime.handle(
        kind,
        batch.messages.map((message) => message.value as AnyEvent),
      )
    },
    {
      onRebalance: () => {
        runtime.rebalanced().catch((error) => onError(error))
      },
    },
  )
}
