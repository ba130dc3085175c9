import { PalisadeError } from '@palisade/errors'

/** Base of the bus errors: stable `code`, whether a retry could help, and the cause. */
export class BusError extends PalisadeError {}

/** The bus is closed or closing: nothing more can be published. */
export class BusClosedError extends BusError {
  constructor() {
    super('BUS_CLOSED', 'the bus is closed', { retriable: false })
  }
}

/** A consumer group failed to handle a batch; the publisher should treat it as not stored. */
export class DeliveryFailedError extends BusError {
  constructor(group: string, topic: string, cause: unknown) {
    super(
      'DELIVERY_FAILED',
      `consumer group ${group} failed on ${topic}: ${(cause as Error)?.message ?? cause}`,
      {
        retriable: true,
        cause,
      },
    )
  }
}

/** A consumer group subscribed twice in one process: a wiring mistake, refused at startup. */
export class ConsumerGroupTakenError extends BusError {
  constructor(group: string) {
    super('CONSUMER_GROUP_TAKEN', `consumer group ${group} is already subscribed in this process`, {
      retriable: false,
    })
  }
}

/**
 * A consumer group's handler published to a topic the same group reads. In one process that waits
 * for itself; on Kafka it is a loop. Give the stage's output its own topic.
 */
export class TopicCycleError extends BusError {
  constructor(group: string, topic: string) {
    super(
      'TOPIC_CYCLE',
      `consumer group ${group} publishes to ${topic}, which it reads itself; give its output a topic of its own`,
      { retriable: false },
    )
  }
}
