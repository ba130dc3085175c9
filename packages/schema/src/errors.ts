/** Base of the schema package's errors: a stable `code` and whether retrying could help. */
export class SchemaError extends Error {
  readonly code: string
  readonly retriable = false
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** A record that is not a valid event of its kind; `reason` is what a user should read. */
export class RecordInvalidError extends SchemaError {
  constructor(readonly reason: string) {
    super('RECORD_INVALID', reason)
  }
}
