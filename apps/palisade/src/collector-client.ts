/** Answer of the collector to one batch. */
export interface BatchAnswer {
  accepted: number
  rejected: number
}

/** Options of {@link postRecords}. */
export interface PostOptions {
  collectorUrl: string
  token: string
  /** Records per request (default 5,000). */
  batchSize?: number
  /** Called after each acknowledged batch. */
  onBatch?: (answer: BatchAnswer) => void
}

/**
 * Send records of one kind to the collector as NDJSON batches, one request at a time, retrying a
 * batch on 429/503 after its Retry-After (at-least-once, as real agents do).
 */
export async function postRecords(
  kind: string,
  records: unknown[],
  options: PostOptions,
): Promise<BatchAnswer> {
  const batchSize = options.batchSize ?? 5000
  const total: BatchAnswer = { accepted: 0, rejected: 0 }
  for (let start = 0; start < records.length; start += batchSize) {
    const body = records
      .slice(start, start + batchSize)
      .map((record) => JSON.stringify(record))
      .join('\n')
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${options.collectorUrl}/v1/ingest/${kind}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/x-ndjson' },
        body,
      })
      if (response.ok) {
        const answer = (await response.json()) as BatchAnswer
        total.accepted += answer.accepted
        total.rejected += answer.rejected
        options.onBatch?.(answer)
        break
      }
      const retriable = response.status === 429 || response.status === 503
      if (!retriable || attempt >= 20) {
        throw new Error(`collector answered ${response.status} to ${kind} batch: ${await response.text()}`)
      }
      await response.arrayBuffer()
      const wait = Number(response.headers.get('retry-after') ?? '1')
      await new Promise((resolve) => setTimeout(resolve, Math.max(wait, 0.1) * 1000))
    }
  }
  return total
}
