export {
  KafkaBackloggedError,
  KafkaBusError,
  KafkaHandlerFailedError,
  KafkaPublishTimeoutError,
} from './errors.ts'
export {
  createKafkaBus,
  defaultMaxChunkBytes,
  type KafkaBus,
  type KafkaBusOptions,
} from './kafka-bus.ts'
