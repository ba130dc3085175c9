/** Options for {@link createSignInLimiter}. */
export interface SignInLimiterOptions {
  /** Failed sign-ins a client may make per window before it is refused (default 10). */
  maxFailures?: number
  /** Window over which failures count, ms (default 60 s). */
  windowMs?: number
  /** Most clients tracked at once (default 10,000); past it the least recently failed is forgotten. */
  maxClients?: number
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number
}

/** A brake on token guessing: failed sign-ins counted per client, over a sliding window. */
export interface SignInLimiter {
  /** Seconds the client must wait before trying again, or 0 when it may try now. */
  retryAfterSeconds(client: string): number
  /** Record a failed sign-in by the client. */
  failed(client: string): void
  /** A successful sign-in clears the client's failures. */
  succeeded(client: string): void
}

/**
 * Pure: in memory, on an injected clock. At 10 failures a minute (the default) a guesser gets
 * 14,400 tries a day from one address instead of about 100 million.
 */
export function createSignInLimiter(options: SignInLimiterOptions = {}): SignInLimiter {
  const maxFailures = options.maxFailures ?? 10
  const windowMs = options.windowMs ?? 60_000
  const maxClients = options.maxClients ?? 10_000
  const now = options.now ?? Date.now
  // Map keeps insertion order; a client is re-inserted on each failure, so the first is the stalest.
  const failures = new Map<string, number[]>()

  function recent(client: string): number[] {
    const since = now() - windowMs
    const times = (failures.get(client) ?? []).filter((at) => at > since)
    if (times.length === 0) failures.delete(client)
    return times
  }

  return {
    retryAfterSeconds(client) {
      const times = recent(client)
      if (times.length < maxFailures) return 0
      // Allowed again once the failure that put it over the limit leaves the window.
      const freedAt = times[times.length - maxFailures]! + windowMs
      return Math.max(1, Math.ceil((freedAt - now()) / 1000))
    },
    failed(client) {
      const times = recent(client)
      times.push(now())
      failures.delete(client)
      failures.set(client, times.slice(-maxFailures))
      while (failures.size > maxClients) {
        const stalest = failures.keys().next()
        if (stalest.done) break
        failures.delete(stalest.value)
      }
    },
    succeeded(client) {
      failures.delete(client)
    },
  }
}
