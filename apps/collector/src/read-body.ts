import type { IncomingMessage } from 'node:http'
import { createGunzip } from 'node:zlib'
import type { Admission } from './admission-control.ts'
import { BodyTimeoutError, BodyTooLargeError, BodyUnreadableError, IngestRequestError } from './errors.ts'

/** Limits for {@link readBody}. */
export interface BodyLimits {
  /** Largest body accepted on the wire, bytes. */
  maxBodyBytes: number
  /** Largest body accepted once decompressed, bytes (guards against gzip bombs). */
  maxDecompressedBytes: number
  /** Longest pause between two body chunks, ms (default 10 s); also the grace before the rate applies. */
  bodyIdleTimeoutMs: number
  /** Slowest average body rate accepted once the grace is over, bytes/s (default 4096). */
  minBodyBytesPerSecond: number
}

async function collect(
  stream: AsyncIterable<Buffer>,
  limit: number,
  onOverflow: () => Error,
  charge: (bytes: number) => void,
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += chunk.length
    if (size > limit) throw onOverflow()
    charge(chunk.length)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

/**
 * Resolves never; rejects with {@link BodyTimeoutError} once the body pauses longer than the idle
 * timeout or, after that same grace, averages under the minimum rate. A stalled client must not
 * hold an admission slot until Node's own 5-minute request timeout.
 */
function watchBodyPace(limits: BodyLimits): {
  expired: Promise<never>
  received(bytes: number): void
  stop(): void
} {
  const started = Date.now()
  let lastByte = started
  let received = 0
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setInterval(
      () => {
        const now = Date.now()
        const elapsedSeconds = (now - started) / 1000
        if (now - lastByte > limits.bodyIdleTimeoutMs) {
          reject(new BodyTimeoutError(`no body bytes for ${limits.bodyIdleTimeoutMs} ms`))
        } else if (
          now - started > limits.bodyIdleTimeoutMs &&
          received < limits.minBodyBytesPerSecond * elapsedSeconds
        ) {
          reject(
            new BodyTimeoutError(
              `body arrives at ${Math.round(received / elapsedSeconds)} bytes/s, under the minimum of ${limits.minBodyBytesPerSecond}`,
            ),
          )
        }
      },
      Math.max(10, Math.min(1000, limits.bodyIdleTimeoutMs / 4)),
    )
    timer.unref()
  })
  expired.catch(() => {})
  return {
    expired,
    received(bytes) {
      lastByte = Date.now()
      received += bytes
    },
    stop() {
      clearInterval(timer)
    },
  }
}

/**
 * Read a request body within the limits, decompressing `Content-Encoding: gzip`. Over-limit bodies
 * fail as soon as the limit is crossed, and every byte held (as received, and once inflated) is
 * charged to the request's admission as it arrives, so memory stays bounded whatever the client
 * sends; a body that stalls or trickles fails with 408.
 */
export async function readBody(
  request: IncomingMessage,
  limits: BodyLimits,
  admission: Pick<Admission, 'charge'>,
): Promise<Buffer> {
  const declared = Number(request.headers['content-length'])
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    request.resume()
    throw new BodyTooLargeError(limits.maxBodyBytes, 'body')
  }
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim()
  if (encoding !== 'identity' && encoding !== 'gzip') {
    request.resume()
    throw new BodyUnreadableError(`unsupported Content-Encoding "${encoding}"; send gzip or no encoding`)
  }
  const pace = watchBodyPace(limits)
  let raw: Buffer
  try {
    const reading = collect(
      request,
      limits.maxBodyBytes,
      () => new BodyTooLargeError(limits.maxBodyBytes, 'body'),
      (bytes) => {
        pace.received(bytes)
        admission.charge(bytes)
      },
    )
    // When the pace check wins, the read is left pending until the connection closes after the 408.
    reading.catch(() => {})
    raw = await Promise.race([reading, pace.expired])
  } finally {
    pace.stop()
  }
  if (encoding === 'identity') return raw
  const gunzip = createGunzip()
  gunzip.end(raw)
  try {
    return await collect(
      gunzip,
      limits.maxDecompressedBytes,
      () => new BodyTooLargeError(limits.maxDecompressedBytes, 'decompressed body'),
      admission.charge,
    )
  } catch (error) {
    gunzip.destroy()
    // Ours (too large, overloaded) as they are; anything zlib throws means the bytes are not gzip.
    if (error instanceof IngestRequestError) throw error
    throw new BodyUnreadableError(`body is not valid gzip: ${(error as Error).message}`, error, raw)
  }
}
