/**
 * Base of every Palisade error. `code` is stable (match on it, not on messages), `retriable` says
 * whether trying again could succeed (retry policies read it instead of guessing), and `cause`
 * keeps the error underneath. Each package derives its own base (`StoreError`, `BusError`, ...).
 */
export class PalisadeError extends Error {
  readonly code: string
  readonly retriable: boolean
  constructor(code: string, message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.retriable = options.retriable
  }
}
