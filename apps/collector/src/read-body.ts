import type { IncomingMessage } from 'node:http'
import { createGunzip } from 'node:zlib'
import { BodyTooLargeError, BodyUnreadableError } from './errors.ts'

/** Limits for {@link readBody}. */
export interface BodyLimits {
  /** Largest body accepted on the wire, bytes. */
  maxBodyBytes: number
  /** Largest body accepted once decompressed, bytes (guards against gzip bombs). */
  maxDecompressedBytes: number
}

async function collect(
  stream: AsyncIterable<Buffer>,
  limit: number,
  onOverflow: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += chunk.length
    if (size > limit) throw onOverflow()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

/**
 * Read a request body within the limits, decompressing `Content-Encoding: gzip`. Over-limit bodies
 * fail as soon as the limit is crossed, so memory stays bounded whatever the client sends.
 */
export async function readBody(request: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
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
  const raw = await collect(
    request,
    limits.maxBodyBytes,
    () => new BodyTooLargeError(limits.maxBodyBytes, 'body'),
  )
  if (encoding === 'identity') return raw
  const gunzip = createGunzip()
  gunzip.end(raw)
  try {
    return await collect(gunzip, limits.maxDecompressedBytes, () => {
      gunzip.destroy()
      return new BodyTooLargeError(limits.maxDecompressedBytes, 'decompressed body')
    })
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error
    throw new BodyUnreadableError(`body is not valid gzip: ${(error as Error).message}`, error, raw)
  }
}
