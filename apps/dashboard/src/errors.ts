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

/** The front end's modules did not bundle (a syntax error or a missing import in `web/`). */
export class FrontEndBuildError extends DashboardError {
  constructor(message: string, cause: unknown) {
    super('FRONT_END_BUILD_FAILED', message, { retriable: false, cause })
  }
}
