import { OverloadedError } from './errors.ts'

/** Limits for {@link createAdmissionControl}. */
export interface AdmissionLimits {
  /** Requests processed at once (default 16). */
  maxConcurrentRequests: number
  /** Declared body bytes held at once across requests (default 256 MiB). */
  maxBytesInFlight: number
  /** Retry-After sent with 429, seconds (default 1). */
  retryAfterSeconds: number
}

/**
 * Bounds the collector's memory: a request is admitted only while both the number of requests and
 * the bytes they declared stay under the limits; otherwise it gets 429 + Retry-After at once,
 * before its body is read, instead of queueing without bound.
 */
export function createAdmissionControl(limits: AdmissionLimits) {
  let requests = 0
  let bytes = 0
  return {
    /** Admit a request of `declaredBytes` (its Content-Length, or the body limit when unknown). */
    admit(declaredBytes: number): () => void {
      if (
        requests >= limits.maxConcurrentRequests ||
        (requests > 0 && bytes + declaredBytes > limits.maxBytesInFlight)
      ) {
        throw new OverloadedError(limits.retryAfterSeconds)
      }
      requests++
      bytes += declaredBytes
      let released = false
      return () => {
        if (released) return
        released = true
        requests--
        bytes -= declaredBytes
      }
    },
    inFlight: () => ({ requests, bytes }),
  }
}
