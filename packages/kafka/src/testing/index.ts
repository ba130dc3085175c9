export { KafkaTestBrokerError } from './errors.ts'
export { freePort } from './free-port.ts'
export { type KafkaBroker, type KafkaBrokerOptions, startKafkaBroker } from './kafka-broker.ts'
export { type KafkaJarsOptions, kafkaVersion, resolveKafkaJars } from './kafka-jars.ts'
