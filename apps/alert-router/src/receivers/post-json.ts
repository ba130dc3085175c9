import { ReceiverRejectedError, ReceiverUnavailableError } from '../errors.ts'

/** Options for {@link postJson}. */
export interface PostJsonOptions {
  /** Receiver name, for error messages. */
  receiver: string
  /** Whether a status means "accepted" (PagerDuty: 202; webhooks: any 2xx). */
  accepts: (status: number) => boolean
  /** Give up on one request after this long, ms (default 10,000). */
  timeoutMs?: number
  /** Extra request headers (default none). */
  headers?: Record<string, string>
}

/** Read `Retry-After` (delay in seconds, or an HTTP date) as ms from `now`; undefined if absent or bad. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (!header) return undefined
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * POST `body` as JSON. Resolves when the receiver accepts it; throws {@link ReceiverUnavailableError}
 * (retriable) on 429, 5xx, network errors and time-outs, and {@link ReceiverRejectedError} otherwise.
 */
export async function postJson(url: string, body: unknown, options: PostJsonOptions): Promise<void> {
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
      // A redirect on an alert endpoint is a misconfiguration to report, not to follow with a GET.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    })
  } catch (error) {
    throw new ReceiverUnavailableError(options.receiver, (error as Error).message, { cause: error })
  }
  // Read the answer in full either way so that the connection can be reused.
  const text = (await response.text().catch(() => '')).slice(0, 500)
  if (options.accepts(response.status)) return
  if (response.status === 429 || response.status >= 500) {
    throw new ReceiverUnavailableError(options.receiver, `HTTP ${response.status} ${text}`.trim(), {
      status: response.status,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
    })
  }
  throw new ReceiverRejectedError(options.receiver, response.status, text)
}
