export {
  type BatchHandler,
  type Bus,
  type BusBatch,
  type BusMessage,
  type SubscribeOptions,
  type Subscription,
  topics,
} from './bus.ts'
export { BusClosedError, BusError, DeliveryFailedError } from './errors.ts'
export { createInProcessBus } from './in-process-bus.ts'
