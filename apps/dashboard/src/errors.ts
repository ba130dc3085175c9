import { PalisadeError } from '@palisade/errors'

/** Base of the dashboard's errors: a stable `code`, whether a retry could help, and the cause. */
export class DashboardError extends PalisadeError {}

/** A `dashboards/*.json` file that does not parse, breaks the schema or names an unknown query. */
export class DashboardInvalidError extends DashboardError {
  readonly problems: string[]
  constructor(problems: string[]) {
    super('DASHBOARD_INVALID', `invalid dashboards:\n  - ${problems.join('\n  - ')}`, { retriable: false })
    this.problems = problems
  }
}

/** A query string the API refuses; the message says which parameter and why. */
export class RequestInvalidError extends DashboardError {
  /** HTTP status the API answers with. */
  readonly status = 400
  constructor(message: string) {
    super('BAD_REQUEST', message, { retriable: false })
  }
}
