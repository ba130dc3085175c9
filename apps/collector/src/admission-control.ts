import { OverloadedError } from './errors.ts'

/** Limits for {@link createAdmissionControl}. */
export interface AdmissionLimits {
  /** Requests processed at once (default 16). */
  maxConcurrentRequests: number
  /** Body bytes held at once across requests, as received plus once inflated (default 256 MiB). */
  maxBytesInFlight: number
  /** Retry-After sent with 429, seconds (default 1). */
  retryAfterSeconds: number
}

/** One admitted request's share of the budget. */
export interface Admission {
  /**
   * Count `bytes` more held by this request (wire bytes as they arrive, inflated bytes as gunzip
   * yields them). Throws {@link OverloadedError} once the budget is spent while other requests hold
   * bytes too; a request alone is bounded by the body limits instead, so it can always get through.
   */
  charge(bytes: number): void
  /** Give the request's slot and bytes back; idempotent. */
  release(): void
}

/**
 * Bounds the collector's memory: a request is admitted only while a slot is free and the byte
 * budget is not spent (otherwise 429 + Retry-After at once, before its body is read); its bytes
 * are then counted as they are read and inflated, so what the budget bounds is what is held, not
 * what a Content-Length or a guessed compression ratio claims.
 */
export function createAdmissionControl(limits: AdmissionLimits) {
  let requests = 0
  let bytes = 0
  return {
    /** Admit a request, or throw {@link OverloadedError}. */
    admit(): Admission {
      if (requests >= limits.maxConcurrentRequests || bytes >= limits.maxBytesInFlight) {
        throw new OverloadedError(limits.retryAfterSeconds)
      }
      requests++
      let mine = 0
      let released = false
      return {
        charge(more) {
          if (released) return
          if (bytes + more > limits.maxBytesInFlight && bytes > mine) {
            throw new OverloadedError(limits.retryAfterSeconds)
          }
          mine += more
          bytes += more
        },
        release() {
          if (released) return
          released = true
          requests--
          bytes -= mine
        },
      }
    },
    /** Requests admitted and body bytes they hold now. */
    inFlight: () => ({ requests, bytes }),
  }
}

/** The collector's admission control (see {@link createAdmissionControl}). */
export type AdmissionControl = ReturnType<typeof createAdmissionControl>
