import { PalisadeError } from './palisade-error.ts'

/**
 * A process cannot start for a reason its operator fixes (a port in use, a data directory held by
 * another process, a missing directory). The message is one line that names what to change; it
 * is printed as it is, without a stack, and the process exits 2 like a configuration problem.
 */
export class StartupError extends PalisadeError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { retriable: false, cause })
  }
}
