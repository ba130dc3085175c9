import { PalisadeError } from '@palisade/errors'

/** Base of the dashboard's errors: a stable `code`, whether a retry could help, and the cause. */
export class DashboardError extends PalisadeError {}

/** A query string the API refuses; the message says which parameter and why. */
export class RequestInvalidError extends DashboardError {
  /** HTTP status the API answers with. */
  readonly status = 400
  constructor(message: string) {
    super('BAD_REQUEST', message, { retriable: false })
  }
}
