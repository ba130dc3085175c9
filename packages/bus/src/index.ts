export {
  type BatchHandler,
  type Bus,
  type BusBatch,
  type BusMessage,
  type SubscribeOptions,
  type Subscription,
  topics,
} from './bus.ts'
export { type DeadLetterRecord, readDeadLetter, tenantNamedBy } from './dead-letter.ts'
export {
  BusClosedError,
  BusError,
  ConsumerGroupTakenError,
  DeliveryFailedError,
  TopicCycleError,
} from './errors.ts'
export { createInProcessBus, type InProcessBus, type InProcessBusOptions } from './in-process-bus.ts'
export { type MessageReading, readMessage } from './message-contracts.ts'
