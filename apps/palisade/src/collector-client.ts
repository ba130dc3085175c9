import { gzipSync } from 'node:zlib'
/** Answer of the collector to one request (its `rejected_by_reason` when it lists it). */
export interface IngestAnswer {
  accepted: number
  rejected: number
  rejected_by_reason?: Record<string, number>
}

/** Where and as whom to send. */
export interface CollectorTarget {
  collectorUrl: string
  token: string
}

/**
 * POST one body to `/v1/ingest/<format>`, retrying on 429 and 503 after their Retry-After, as real
 * agents do (at least once: the collector stores a repeat once). Other answers are errors.
 */
export async function postIngest(
  target: CollectorTarget,
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
): Promise<IngestAnswer> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${target.collectorUrl}/v1/ingest/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, ...headers },
      body,
    })
    if (response.ok) return (await response.json()) as IngestAnswer
    const detail = await response.text()
    if ((response.status !== 429 && response.status !== 503) || attempt >= 30) {
      throw new Error(`collector answered ${response.status}: ${detail}`)
    }
    const wait = Number(response.headers.get('retry-after') ?? '1')
    await new Promise((resolve) => setTimeout(resolve, Math.max(wait, 0.2) * 1000))
  }
}

/** Send records of our own schema, one kind, as NDJSON batches of `batchSize` (default 5,000). */
export async function postRecords(
  kind: string,
  records: unknown[],
  target: CollectorTarget,
  batchSize = 5000,
): Promise<IngestAnswer> {
  const total: IngestAnswer = { accepted: 0, rejected: 0 }
  for (let start = 0; start < records.length; start += batchSize) {
    const body = records
      .slice(start, start + batchSize)
      .map((record) => JSON.stringify(record))
      .join('\n')
    const answer = await postIngest(target, kind, body, { 'content-type': 'application/x-ndjson' })
    total.accepted += answer.accepted
    total.rejected += answer.rejected
  }
  return total
}

/**
 * POST one body of a wire format, gzipped, to `/v1/ingest/<format>?<format options>`, as a log
 * shipper sends it (retrying as {@link postIngest} does).
 */
export function postFormatText(
  target: CollectorTarget,
  format: string,
  formatOptions: Record<string, string>,
  text: string,
): Promise<IngestAnswer> {
  const query = new URLSearchParams(formatOptions).toString()
  return postIngest(target, `${format}${query ? `?${query}` : ''}`, new Uint8Array(gzipSync(text)), {
    'content-encoding': 'gzip',
    'content-type': 'application/octet-stream',
  })
}
