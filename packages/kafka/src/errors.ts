import { PalisadeError } from '@palisade/errors'

/** Base of the Kafka adapter's errors. */
export class KafkaBusError extends PalisadeError {}

/** The brokers did not acknowledge a publish in time; nothing may be assumed stored, so retry. */
export class KafkaPublishTimeoutError extends KafkaBusError {
  constructor(topic: string, timeoutMs: number) {
    super('PUBLISH_TIMEOUT', `Kafka did not acknowledge the publish to ${topic} within ${timeoutMs} ms`, {
      retriable: true,
    })
  }
}
