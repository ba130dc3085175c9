import { describe, expect, it } from 'vitest'
import { ReceiverRejectedError, ReceiverUnavailableError } from '../errors.ts'
import { deliverWithRetry, type RetryEnvironment } from './deliver-with-retry.ts'

function recordingEnvironment(): RetryEnvironment & { waits: number[] } {
  const waits: number[] = []
  return { waits, sleep: async (ms) => void waits.push(ms), random: () => 0.5 }
}

function failing(errors: Error[]): () => Promise<void> {
  return async () => {
    const error = errors.shift()
    if (error) throw error
  }
}

const unavailable = (retryAfterMs?: number) =>
  new ReceiverUnavailableError('r', 'HTTP 503', { status: 503, retryAfterMs })

describe('deliverWithRetry', () => {
  it('retries retriable errors with exponential back-off until it succeeds', async () => {
    const environment = recordingEnvironment()
    const result = await deliverWithRetry(failing([unavailable(), unavailable()]), {}, environment)
    expect(result).toEqual({ ok: true, attempts: 3 })
    expect(environment.waits).toEqual([750, 1500])
  })

  it('waits at least as long as Retry-After asks', async () => {
    const environment = recordingEnvironment()
    await deliverWithRetry(failing([unavailable(7000)]), {}, environment)
    expect(environment.waits).toEqual([7000])
  })

  it('never retries an error that is not retriable', async () => {
    const environment = recordingEnvironment()
    const result = await deliverWithRetry(
      failing([new ReceiverRejectedError('r', 400, 'bad')]),
      {},
      environment,
    )
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: { code: 'RECEIVER_REJECTED', retriable: false },
    })
    expect(environment.waits).toEqual([])
  })

  it('does not retry errors that do not say they are retriable', async () => {
    const result = await deliverWithRetry(failing([new TypeError('bug')]), {}, recordingEnvironment())
    expect(result).toMatchObject({ ok: false, attempts: 1 })
  })

  it('stops after maxAttempts, reporting the last error as retriable', async () => {
    const result = await deliverWithRetry(
      failing(Array.from({ length: 9 }, () => unavailable())),
      { maxAttempts: 3 },
      recordingEnvironment(),
    )
    expect(result).toMatchObject({ ok: false, attempts: 3, error: { retriable: true } })
  })

  it('gives up at once when Retry-After is longer than maxDelayMs', async () => {
    const environment = recordingEnvironment()
    const result = await deliverWithRetry(
      failing([unavailable(3_600_000)]),
      { maxDelayMs: 30_000 },
      environment,
    )
    expect(result).toMatchObject({ ok: false, attempts: 1, error: { retriable: true } })
    expect(environment.waits).toEqual([])
  })
})
