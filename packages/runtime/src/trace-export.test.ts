import { trace } from '@opentelemetry/api'
import { startOtlpTraceReceiver } from '@palisade/testing'
import { describe, expect, it } from 'vitest'
import { startTraceExport, traceExportUrl } from './trace-export.ts'

describe('traceExportUrl', () => {
  it('reads the standard variables, and nothing turns tracing on by itself', () => {
    expect(traceExportUrl({})).toBeUndefined()
    expect(traceExportUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/' })).toBe(
      'http://otel:4318/v1/traces',
    )
    expect(
      traceExportUrl({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/in',
      }),
    ).toBe('http://traces:9999/in')
    expect(
      traceExportUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined()
    expect(
      traceExportUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeUndefined()
  })
})

describe('startTraceExport', () => {
  it('exports spans over OTLP/HTTP with the service name, headers and parent links', async () => {
    const receiver = await startOtlpTraceReceiver()
    try {
      const exporting = startTraceExport('palisade-test', {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme,authorization=Bearer%20t0k3n',
      })
      expect(exporting?.url).toBe(`${receiver.url}/v1/traces`)
      const tracer = trace.getTracer('palisade-collector')
      await tracer.startActiveSpan('collector.ingest', async (parent) => {
        await new Promise((resolve) => setTimeout(resolve, 5))
        tracer.startActiveSpan('bus.publish', (child) => child.end())
        parent.end()
      })
      await exporting!.shutdown()

      expect(receiver.received.length).toBeGreaterThan(0)
      expect(receiver.received[0]!.path).toBe('/v1/traces')
      expect(receiver.received[0]!.headers['x-tenant']).toBe('acme')
      expect(receiver.received[0]!.headers.authorization).toBe('Bearer t0k3n')
      const spans = receiver.spans()
      expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['palisade-test']))
      const parent = spans.find((span) => span.name === 'collector.ingest')
      const child = spans.find((span) => span.name === 'bus.publish')
      expect(parent).toBeDefined()
      expect(child?.traceId).toBe(parent?.traceId)
      expect(child?.parentSpanId).toBe(parent?.spanId)
      // Unregistered once shut down: later spans go to the API's no-op tracer again.
      expect(trace.getTracer('x').startSpan('after').isRecording()).toBe(false)
    } finally {
      await receiver.close()
    }
  })
})
