import { PalisadeError } from '@palisade/errors'

/**
 * The test broker could not be provided: a tool is missing (`JAVA_NOT_FOUND`, `MAVEN_NOT_FOUND`),
 * its jars could not be resolved (`JARS_UNRESOLVED`), or it did not come up (`BROKER_EXITED`,
 * `BROKER_START_TIMEOUT`, `BROKER_FORMAT_FAILED`). The message carries the tail of the relevant log.
 */
export class KafkaTestBrokerError extends PalisadeError {}

/**
 * A test harness could not do its part: a tool is missing (`TOOL_MISSING`), a process did not come
 * up (`PROCESS_NOT_READY`) or ran too long (`COMMAND_TIMEOUT`), a request to it failed
 * (`HARNESS_REQUEST_FAILED`), or the test gave it something it cannot use (`HARNESS_MISUSED`).
 */
export class TestHarnessError extends PalisadeError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { retriable: false, cause })
  }
}
