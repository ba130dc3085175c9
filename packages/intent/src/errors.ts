import { PalisadeError } from '@palisade/errors'

/** Base of the intent package's errors: a stable `code`, whether a retry could help, and the cause. */
export class IntentError extends PalisadeError {}
