import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type OtlpTraceReceiver,
  type PalisadeProcess,
  startOtlpTraceReceiver,
  startPalisadeProcess,
} from '@palisade/testing'
import { afterAll, describe, expect, it } from 'vitest'

// `palisade start` with the standard OpenTelemetry variables set: its own spans reach a local
// OTLP/HTTP receiver (a real server that decodes what arrives), flushed when it stops.
const token = 'trace-export-test-token-0123'
const dataDir = mkdtempSync(join(tmpdir(), 'palisade-traces-'))
let receiver: OtlpTraceReceiver | undefined
let palisade: PalisadeProcess | undefined

afterAll(async () => {
  palisade?.child.kill('SIGKILL')
  await receiver?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('palisade start > trace export', () => {
  it('exports the collector and ingester spans of a request over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    receiver = await startOtlpTraceReceiver()
    palisade = await startPalisadeProcess({
      PALISADE_DATA_DIR: dataDir,
      PALISADE_TOKEN: token,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    })
    const response = await fetch(`${palisade.collectorUrl}/v1/ingest/flow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: `${JSON.stringify({ ts: Date.UTC(2026, 10, 23, 9), service: 'api', dst_port: 443 })}\n`,
    })
    expect(response.status).toBe(200)
    palisade.child.kill('SIGTERM')
    expect(await palisade.exited).toBe(0)

    const spans = receiver.spans()
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['palisade']))
    const ingest = spans.find((span) => span.name === 'collector.ingest')
    const store = spans.find((span) => span.name === 'ingester.store')
    expect(ingest).toBeDefined()
    expect(store).toBeDefined()
    expect(receiver.received.every((export_) => export_.path === '/v1/traces')).toBe(true)
  })
})
