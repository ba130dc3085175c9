import { PalisadeError } from '@palisade/errors'

/** Base of the alerting errors: a stable `code`, whether a retry could help, and the cause. */
export class AlertingError extends PalisadeError {}

/** A routing file that cannot be used; `problems` lists every one, so a user fixes them in one go. */
export class RoutingConfigInvalidError extends AlertingError {
  readonly problems: string[]
  constructor(problems: string[], cause?: unknown) {
    super('ROUTING_CONFIG_INVALID', `invalid alert routing:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      retriable: false,
      cause,
    })
    this.problems = problems
  }
}

/** A label matcher that does not parse (`name="value"`, operators `=`, `!=`, `=~`, `!~`). */
export class LabelMatcherInvalidError extends AlertingError {
  constructor(message: string, cause?: unknown) {
    super('LABEL_MATCHER_INVALID', message, { retriable: false, cause })
  }
}

/** A request to act on an incident that cannot be taken as it is; the message says why. */
export class IncidentActionInvalidError extends AlertingError {
  constructor(message: string, cause?: unknown) {
    super('INCIDENT_ACTION_INVALID', message, { retriable: false, cause })
  }
}
