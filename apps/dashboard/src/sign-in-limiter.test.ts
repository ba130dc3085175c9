import { describe, expect, it } from 'vitest'
import { createSignInLimiter } from './sign-in-limiter.ts'

describe('createSignInLimiter', () => {
  it('lets a client fail up to the limit, then asks it to wait until the oldest failure leaves the window', () => {
    let now = 1_000_000
    const limiter = createSignInLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now })
    for (let n = 0; n < 3; n++) {
      expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0)
      limiter.failed('10.0.0.1')
      now += 10_000
    }
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(30)
    expect(limiter.retryAfterSeconds('10.0.0.2')).toBe(0)
    now += 30_001
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0)
  })

  it('clears a client that signs in successfully', () => {
    const limiter = createSignInLimiter({ maxFailures: 1, now: () => 0 })
    limiter.failed('a')
    expect(limiter.retryAfterSeconds('a')).toBeGreaterThan(0)
    limiter.succeeded('a')
    expect(limiter.retryAfterSeconds('a')).toBe(0)
  })

  it('forgets the stalest clients past its size bound', () => {
    const limiter = createSignInLimiter({ maxFailures: 1, maxClients: 2, now: () => 0 })
    for (const client of ['a', 'b', 'c']) limiter.failed(client)
    expect(limiter.retryAfterSeconds('a')).toBe(0)
    expect(limiter.retryAfterSeconds('c')).toBeGreaterThan(0)
  })
})
