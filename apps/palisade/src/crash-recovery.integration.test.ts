import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openClickHouse } from '@palisade/clickhouse'
import { type PalisadeProcess, startPalisadeProcess } from '@palisade/testing'
import { afterAll, describe, expect, it } from 'vitest'

// kill -9 of the all-in-one process in the middle of ingest, then a restart on the same data:
// every acknowledged event must be there, exactly once, and clients that retry what was not
// acknowledged (as OPA and OpenTelemetry exporters do) must not create duplicates.

const token = 'crash-test-token-0123456789abcdef'
const dataDir = mkdtempSync(join(tmpdir(), 'palisade-crash-'))
// Recent, on the hour: the collector refuses events older than their kind's retention (30 days).
const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 6 * 3_600_000
const batchSize = 400
let palisade: PalisadeProcess | undefined

afterAll(() => {
  if (palisade && palisade.child.exitCode === null) palisade.child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

function batchBody(worker: number, batch: number): string {
  const lines: string[] = []
  for (let i = 0; i < batchSize; i++) {
    lines.push(
      JSON.stringify({
        event_id: `w${worker}-b${batch}-${i}`,
        ts: t0 + batch * 1000 + i,
        src_identity: `spiffe://acme.io/ns/load/sa/worker-${worker}`,
        dst_identity: 'spiffe://acme.io/ns/shop/sa/api',
        dst_port: 8080,
        service: 'api',
        bytes_sent: i,
      }),
    )
  }
  return lines.join('\n')
}

async function send(url: string, body: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v1/ingest/flow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body,
    })
    if (response.status !== 200) return false
    const answer = (await response.json()) as { accepted: number }
    return answer.accepted === batchSize
  } catch {
    return false // connection reset by the kill: not acknowledged
  }
}

describe('kill -9 during ingest', () => {
  it('loses no acknowledged event and stores retried ones once', async () => {
    const env = { PALISADE_DATA_DIR: dataDir, PALISADE_TOKEN: token }
    palisade = await startPalisadeProcess(env)
    const first = palisade
    const acknowledged = new Set<string>()
    const sent: string[] = []
    let killed = false
    const workers = [0, 1, 2, 3].map(async (worker) => {
      for (let batch = 0; !killed; batch++) {
        const key = `${worker}/${batch}`
        sent.push(key)
        if (await send(first.collectorUrl, batchBody(worker, batch))) acknowledged.add(key)
      }
    })
    // Kill once a fair number of batches went through, while the workers still have requests open.
    while (acknowledged.size < 12) await new Promise((resolve) => setTimeout(resolve, 20))
    killed = true
    first.child.kill('SIGKILL')
    expect(await first.exited).toBe('SIGKILL')
    await Promise.all(workers)
    expect(acknowledged.size).toBeGreaterThanOrEqual(12)

    // Restart on the same data; clients retry everything they sent, acknowledged or not.
    palisade = await startPalisadeProcess(env)
    for (const key of sent) {
      const [worker, batch] = key.split('/').map(Number) as [number, number]
      expect(await send(palisade.collectorUrl, batchBody(worker, batch))).toBe(true)
    }
    palisade.child.kill('SIGTERM')
    expect(await palisade.exited).toBe(0)

    const client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
    try {
      const [counts] = await (
        await client.query({
          query: 'SELECT count() AS rows, uniqExact(event_id) AS ids FROM flow_events',
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        })
      ).json<{ rows: number; ids: number }>()
      expect(counts).toEqual({ rows: sent.length * batchSize, ids: sent.length * batchSize })
      const perBatch = await (
        await client.query({
          query: `SELECT splitByChar('-', event_id)[1] || '/' || substring(splitByChar('-', event_id)[2], 2) AS batch, count() AS n
                  FROM flow_events GROUP BY batch`,
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        })
      ).json<{ batch: string; n: number }>()
      const stored = new Map(perBatch.map((row) => [row.batch.replace(/^w/, ''), row.n]))
      for (const key of acknowledged) expect(stored.get(key)).toBe(batchSize)
    } finally {
      await client.close()
    }
  })
})
