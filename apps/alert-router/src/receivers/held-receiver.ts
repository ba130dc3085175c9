import { ReceiverUnavailableError } from '../errors.ts'
import type { Receiver } from './receiver.ts'

/**
 * A receiver declared in the routing file but not configured yet (the all-in-one's trial run):
 * every delivery fails as retriable, so its notifications stay pending in the ledger, are retried,
 * and go out once the receiver is configured and the process restarted. Nothing is dropped
 * silently: each retry logs what is missing.
 */
export function createHeldReceiver(name: string, missingSetting: string): Receiver {
  return {
    name,
    async send() {
      return {
        ok: false,
        attempts: 0,
        error: new ReceiverUnavailableError(name, `not configured: set ${missingSetting}`),
      }
    },
  }
}
