import { PalisadeError } from '@palisade/errors'

/** Base of the rules package's errors: a stable `code`, whether a retry could help, and the cause. */
export class RulesError extends PalisadeError {}

/**
 * A rule test whose events cannot be built: a bad time, an event the schema refuses, a fixture that
 * is missing, unknown or rejected. The test fails with this message; the rule file needs fixing.
 */
export class RuleTestInvalidError extends RulesError {
  constructor(message: string) {
    super('RULE_TEST_INVALID', message, { retriable: false })
  }
}
