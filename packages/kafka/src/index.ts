export {
  KafkaBackloggedError,
  KafkaBusError,
  KafkaHandlerFailedError,
  KafkaPublishTimeoutError,
} from './errors.ts'
export { createKafkaBus, type KafkaBus, type KafkaBusOptions } from './kafka-bus.ts'
