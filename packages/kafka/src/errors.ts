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

/** Too many publishes are still unsettled (the brokers are away): refused now, retry later. */
export class KafkaBackloggedError extends KafkaBusError {
  constructor(topic: string, unsettled: number) {
    super(
      'PUBLISH_BACKLOGGED',
      `${unsettled} publishes are still waiting for Kafka; not taking more for ${topic} now`,
      {
        retriable: true,
      },
    )
  }
}

/**
 * A consumer group's handler failed on a batch. Always retriable: the batch is redelivered, never
 * skipped (kafkajs gives up for good on errors it does not see as retriable, a TypeError say).
 */
export class KafkaHandlerFailedError extends KafkaBusError {
  constructor(group: string, topic: string, cause: unknown) {
    super(
      'HANDLER_FAILED',
      `consumer group ${group} failed on ${topic}: ${(cause as Error)?.message ?? cause}`,
      {
        retriable: true,
        cause,
      },
    )
  }
}
