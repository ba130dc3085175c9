import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
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

// Kept-alive connections, as many as 32 to one receiver at a time: a flush of a thousand groups is
// a thousand POSTs to the same host, and a TCP (and TLS) handshake each would cost more than the
// request. Node's agent closes an idle connection before the server's `Keep-Alive: timeout` does.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 32 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 32 }),
}

interface Answer {
  status: number
  retryAfter: string | undefined
  text: string
}

/** One POST over node:http(s) (less work per request than fetch); the answer read in full. */
function post(target: URL, bytes: Buffer, options: PostJsonOptions, deadline: number): Promise<Answer> {
  const protocol = target.protocol === 'https:' ? 'https:' : 'http:'
  const send = protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<Answer>((resolve, reject) => {
    const request = send(
      target,
      {
        method: 'POST',
        agent: agents[protocol],
        headers: {
          'content-type': 'application/json',
          ...options.headers,
          'content-length': bytes.length,
        },
      },
      (response) => {
        // Read the answer in full either way so that the connection can be reused.
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          if (text.length < 500) text += chunk
        })
        response.on('error', (error) => {
          clearTimeout(timer)
          reject(error)
        })
        response.on('end', () => {
          clearTimeout(timer)
          const retryAfter = response.headers['retry-after']
          resolve({ status: response.statusCode ?? 0, retryAfter, text: text.slice(0, 500) })
        })
      },
    )
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)),
      Math.max(0, deadline - Date.now()),
    )
    request.on('error', (error) => {
      clearTimeout(timer)
      reject(Object.assign(error, { reusedSocket: request.reusedSocket }))
    })
    request.end(bytes)
  })
}

/**
 * POST `body` as JSON. Resolves when the receiver accepts it; throws {@link ReceiverUnavailableError}
 * (retriable) on 429, 5xx, network errors and time-outs, and {@link ReceiverRejectedError} otherwise.
 * A redirect is a misconfiguration to report (rejected), not one to follow with a GET.
 */
export async function postJson(url: string, body: unknown, options: PostJsonOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  let answer: Answer
  try {
    const target = new URL(url)
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      throw new Error(`${target.protocol} is not http: or https:`)
    const bytes = Buffer.from(JSON.stringify(body))
    answer = await post(target, bytes, options, deadline).catch(
      (error: Error & { reusedSocket?: boolean }) => {
        // A kept-alive connection the receiver closed as idle just as it was reused: nothing reached
        // the receiver, so the request is sent again at once on a fresh one (Node's documented remedy).
        if (error.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET')
          return post(target, bytes, options, deadline)
        throw error
      },
    )
  } catch (error) {
    throw new ReceiverUnavailableError(options.receiver, (error as Error).message, { cause: error })
  }
  const { status, text } = answer
  if (options.accepts(status)) return
  if (status === 429 || status >= 500) {
    throw new ReceiverUnavailableError(options.receiver, `HTTP ${status} ${text}`.trim(), {
      status,
      retryAfterMs: parseRetryAfter(answer.retryAfter ?? null, Date.now()),
    })
  }
  throw new ReceiverRejectedError(options.receiver, status, text)
}
