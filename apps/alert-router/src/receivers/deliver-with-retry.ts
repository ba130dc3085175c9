import type { DeliveryResult } from './receiver.ts'

/** How hard a receiver tries before reporting a delivery as failed. */
export interface RetryPolicy {
  /** Requests in all, the first included (default 5). */
  maxAttempts: number
  /** First back-off, ms (default 1,000); it doubles on each attempt, with jitter. */
  baseDelayMs: number
  /** Longest wait between two attempts, ms (default 30,000); a longer `Retry-After` ends the attempts. */
  maxDelayMs: number
}

/** The retry policy's defaults: 5 attempts over at most about 15 s of back-off. */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000 }

/** Injected for tests: how to wait, and where jitter comes from. */
export interface RetryEnvironment {
  sleep: (ms: number) => Promise<void>
  random: () => number
}

const realEnvironment: RetryEnvironment = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
}

/**
 * Run `attempt` until it succeeds, retrying only errors that say `retriable: true`, with exponential
 * back-off (half fixed, half jitter) that waits at least the error's `retryAfterMs` (the receiver's
 * `Retry-After`). Non-retriable errors end at once. Resolves with the outcome; never rejects.
 */
export async function deliverWithRetry(
  attempt: () => Promise<void>,
  policy: Partial<RetryPolicy> = {},
  environment: RetryEnvironment = realEnvironment,
): Promise<DeliveryResult> {
  const { maxAttempts, baseDelayMs, maxDelayMs } = { ...defaultRetryPolicy, ...policy }
  for (let attempts = 1; ; attempts++) {
    try {
      await attempt()
      return { ok: true, attempts }
    } catch (caught) {
      const error = (
        caught instanceof Error ? caught : new Error(String(caught))
      ) as DeliveryResult['error'] & {
        retryAfterMs?: number
      }
      if (error.retriable !== true || attempts >= maxAttempts) return { ok: false, attempts, error }
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1))
      const wait = Math.max(backoff / 2 + (environment.random() * backoff) / 2, error.retryAfterMs ?? 0)
      // Waiting longer would hold this delivery (and shutdown) hostage; the caller retries it later.
      if (wait > maxDelayMs) return { ok: false, attempts, error }
      await environment.sleep(wait)
    }
  }
}
