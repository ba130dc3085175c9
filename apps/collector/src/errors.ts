import { PalisadeError } from '@palisade/errors'

/** Base of the collector's request errors: each maps to an HTTP status and a stable code. */
export class IngestRequestError extends PalisadeError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    options: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, { retriable: options.retriable ?? false, cause: options.cause })
  }
}

/** The body is larger than the configured limit (compressed or once decompressed). */
export class BodyTooLargeError extends IngestRequestError {
  constructor(limitBytes: number, what: 'body' | 'decompressed body') {
    super(413, 'BODY_TOO_LARGE', `${what} exceeds the limit of ${limitBytes} bytes; split the batch`)
  }
}

/** The body cannot be read at all: bad gzip, bad encoding, a JSON array that does not parse. */
export class BodyUnreadableError extends IngestRequestError {
  constructor(
    message: string,
    cause?: unknown,
    /** The bytes as received, when they were read (a body that is not valid gzip, say). */
    readonly received?: Buffer,
  ) {
    super(400, 'BODY_UNREADABLE', message, { cause })
  }
}

/** Too much is in flight: the client should retry after `retryAfterSeconds`. */
export class OverloadedError extends IngestRequestError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'OVERLOADED', 'the collector is at capacity; retry after the Retry-After delay', {
      retriable: true,
    })
  }
}

/** The body came too slowly (a stall, or a trickle under the minimum rate): 408, the slot is freed. */
export class BodyTimeoutError extends IngestRequestError {
  constructor(what: string) {
    super(408, 'REQUEST_TIMEOUT', `${what}; send the body without pauses`, { retriable: true })
  }
}
