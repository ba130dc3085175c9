export { KafkaBackloggedError, KafkaBusError, KafkaPublishTimeoutError } from './errors.ts'
export { createKafkaBus, type KafkaBus, type KafkaBusOptions } from './kafka-bus.ts'
