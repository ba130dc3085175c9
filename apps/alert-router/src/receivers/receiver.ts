import type { Notification } from '@palisade/alerting'

/** How a delivery ended, after every attempt its retry policy allowed. */
export interface DeliveryResult {
  ok: boolean
  /** Requests made (at least 1). */
  attempts: number
  /** The last error when not ok; its `retriable` says whether a later round could succeed. */
  error?: Error & { retriable?: boolean }
}

/** Where notifications go (PagerDuty, a webhook, ...); named as in the routing file. */
export interface Receiver {
  readonly name: string
  /** Deliver one notification, retrying as the receiver's policy allows; resolves, never rejects. */
  send(notification: Notification): Promise<DeliveryResult>
}
