import { PalisadeError } from '@palisade/errors'

/**
 * The test broker could not be provided: a tool is missing (`JAVA_NOT_FOUND`, `MAVEN_NOT_FOUND`),
 * its jars could not be resolved (`JARS_UNRESOLVED`), or it did not come up (`BROKER_EXITED`,
 * `BROKER_START_TIMEOUT`, `BROKER_FORMAT_FAILED`). The message carries the tail of the relevant log.
 */
export class KafkaTestBrokerError extends PalisadeError {}
