import { PalisadeError } from '@palisade/errors'

/** Base of the intent package's errors: a stable `code`, whether a retry could help, and the cause. */
export class IntentError extends PalisadeError {}

/** An intent directory that cannot be read (missing, not a directory, no permission). */
export class IntentDirectoryError extends IntentError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const reason =
      (cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
        ? 'no such directory'
        : String((cause as Error)?.message ?? cause)
    super('INTENT_DIRECTORY_UNREADABLE', `cannot read intent directory ${path}: ${reason}`, {
      retriable: false,
      cause,
    })
  }
}
