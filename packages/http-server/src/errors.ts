import { PalisadeError } from '@palisade/errors'

/** Base of the HTTP server package's errors: a stable `code`, whether a retry could help, and the cause. */
export class HttpServerError extends PalisadeError {}

/** An authenticator built without a single token: no request could ever pass, so it is refused. */
export class TokensMissingError extends HttpServerError {
  constructor() {
    super('TOKENS_MISSING', 'at least one token is required', { retriable: false })
  }
}

/** No API key with this id (in the caller's tenant). */
export class KeyNotFoundError extends HttpServerError {
  constructor(keyId: string) {
    super('KEY_NOT_FOUND', `no API key "${keyId}"`, { retriable: false })
  }
}
