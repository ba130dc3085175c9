import { PalisadeError } from '@palisade/errors'

/** Base of the alert router's errors: a stable `code`, whether a retry could help, and the cause. */
export class AlertRouterError extends PalisadeError {}

/** A receiver refused a notification for good (a 4xx other than 429): sending it again cannot help. */
export class ReceiverRejectedError extends AlertRouterError {
  readonly status: number
  constructor(receiver: string, status: number, detail: string) {
    super(
      'RECEIVER_REJECTED',
      `receiver ${receiver} rejected the notification: HTTP ${status} ${detail}`.trim(),
      {
        retriable: false,
      },
    )
    this.status = status
  }
}

/** A receiver could not take a notification now (429, 5xx, network, time-out); later may work. */
export class ReceiverUnavailableError extends AlertRouterError {
  /** HTTP status, when there was an answer. */
  readonly status: number | undefined
  /** How long the receiver asked us to wait (`Retry-After`), ms. */
  readonly retryAfterMs: number | undefined
  constructor(
    receiver: string,
    message: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super('RECEIVER_UNAVAILABLE', `receiver ${receiver} is unavailable: ${message}`, {
      retriable: true,
      cause: options.cause,
    })
    this.status = options.status
    this.retryAfterMs = options.retryAfterMs
  }
}

/** The routing names receivers that have no delivery settings; reported at start-up, all at once. */
export class ReceiverNotConfiguredError extends AlertRouterError {
  constructor(names: string[]) {
    super('RECEIVER_NOT_CONFIGURED', `receivers without delivery settings: ${names.join(', ')}`, {
      retriable: false,
    })
  }
}

/** The router was asked to take alerts before `start()` or after `stop()`; the bus should redeliver. */
export class AlertRouterNotRunningError extends AlertRouterError {
  constructor(state: 'not started' | 'stopped') {
    super('ROUTER_NOT_RUNNING', `the alert router is ${state}`, { retriable: true })
  }
}

/** A request to the Alertmanager API that cannot be taken as it is; answered 400 with the reason. */
export class AlertmanagerRequestInvalidError extends AlertRouterError {
  constructor(reason: string) {
    super('ALERTMANAGER_REQUEST_INVALID', reason, { retriable: false })
  }
}
