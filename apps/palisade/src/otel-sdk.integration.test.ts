import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api'
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as ProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPMetricExporter as ProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs'
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics'
import { type ClickHouseClient, openClickHouse } from '@palisade/clickhouse'
import { type PalisadeProcess, startPalisadeProcess } from '@palisade/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

// The OpenTelemetry JS SDK, a client we did not write, exporting logs and metrics over OTLP/HTTP
// (JSON and protobuf) to `palisade start`; what was stored is read back from the data directory
// once the process stopped.

const token = 'otel-sdk-integration-token-0123'
const headers = { authorization: `Bearer ${token}` }
const web = 'spiffe://acme.io/ns/shop/sa/web'
const api = 'spiffe://acme.io/ns/shop/sa/api'
let dataDir: string
let palisade: PalisadeProcess

/** `ExportResultCode.SUCCESS` of `@opentelemetry/core`: the collector answered 200. */
const EXPORTED = 0
/** The result code of every export since the test began, in order. */
let exportResults: number[] = []
/** Every partial success the SDK received (it reports them through the diagnostics logger). */
let partialSuccesses: string[] = []
const diagnostics: DiagLogger = {
  warn(message, ...args) {
    if (message.startsWith('Received Partial Success')) partialSuccesses.push(String(args[0]))
  },
  error() {},
  info() {},
  debug() {},
  verbose() {},
}

/** The exporter, reporting each export's result code to `exportResults`. */
function recorded<T extends LogRecordExporter | PushMetricExporter>(exporter: T): T {
  const send = exporter.export.bind(exporter) as (
    items: unknown,
    done: (result: { code: number }) => void,
  ) => void
  ;(exporter as { export: typeof send }).export = (items, done) =>
    send(items, (result) => {
      exportResults.push(result.code)
      done(result)
    })
  return exporter
}

/** Emit `emit`'s records through a logger provider whose only processor exports with `exporter`. */
async function sendLogs(
  exporter: LogRecordExporter,
  emit: (logger: ReturnType<LoggerProvider['getLogger']>) => void,
) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    processors: [new BatchLogRecordProcessor({ exporter })],
  })
  emit(provider.getLogger('palisade-integration-test'))
  await provider.forceFlush()
  await provider.shutdown()
}

/** A meter provider exporting with `exporter` only when flushed (the periodic export is an hour away). */
function meterProvider(exporter: PushMetricExporter, service = 'mesh') {
  return new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
  })
}

beforeAll(async () => {
  diag.setLogger(diagnostics, DiagLogLevel.WARN)
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-otel-'))
  palisade = await startPalisadeProcess({ PALISADE_DATA_DIR: dataDir, PALISADE_TOKEN: token })
})

beforeEach(() => {
  exportResults = []
  partialSuccesses = []
})

afterAll(() => {
  diag.disable()
  if (palisade.child.exitCode === null) palisade.child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

describe('OpenTelemetry JS SDK > palisade start', () => {
  it('exports logs over OTLP/HTTP JSON: Palisade-kind records are taken, an application log is refused', async () => {
    await sendLogs(
      recorded(new JsonLogExporter({ url: `${palisade.collectorUrl}/v1/logs`, headers })),
      (logger) => {
        logger.emit({
          body: 'login',
          attributes: {
            'palisade.kind': 'auth',
            principal: 'json@acme.io',
            outcome: 'success',
            method: 'oidc',
          },
        })
        logger.emit({
          body: 'authz',
          attributes: { 'palisade.kind': 'decision', decision: 'deny', latency_ms: 12.5, resource: '/admin' },
        })
        logger.emit({ body: 'GET /healthz 200', attributes: { 'http.route': '/healthz' } })
      },
    )
    expect(exportResults).toEqual([EXPORTED])
    expect(partialSuccesses).toHaveLength(1)
    expect(JSON.parse(partialSuccesses[0]!)).toMatchObject({
      rejectedLogRecords: '1',
      errorMessage: expect.stringContaining('not perimeter telemetry'),
    })
  })

  it('exports logs over OTLP/HTTP protobuf, the kind given as the event name', async () => {
    await sendLogs(
      recorded(new ProtobufLogExporter({ url: `${palisade.collectorUrl}/v1/logs`, headers })),
      (logger) => {
        for (const principal of ['proto-1@acme.io', 'proto-2@acme.io']) {
          logger.emit({
            eventName: 'palisade.auth',
            body: 'login failed',
            attributes: { principal, outcome: 'failure', failure_kind: 'user', reason: 'bad password' },
          })
        }
      },
    )
    expect(exportResults).toEqual([EXPORTED])
    expect(partialSuccesses).toEqual([])
  })

  it('exports delta handshake counters over JSON and protobuf', async () => {
    const json = meterProvider(
      recorded(
        new JsonMetricExporter({
          url: `${palisade.collectorUrl}/v1/metrics`,
          headers,
          temporalityPreference: AggregationTemporality.DELTA,
        }),
      ),
    )
    const handshakes = json.getMeter('mesh').createCounter('palisade.mtls.handshakes')
    handshakes.add(5, { outcome: 'success', src_identity: web, dst_identity: api })
    handshakes.add(2, { outcome: 'failure', reason: 'expired_cert', src_identity: web, dst_identity: api })
    await json.forceFlush()
    // A second interval: a delta exporter sends only what happened since the first.
    handshakes.add(3, { outcome: 'success', src_identity: web, dst_identity: api })
    await json.forceFlush()
    await json.shutdown()

    const protobuf = meterProvider(
      recorded(
        new ProtobufMetricExporter({
          url: `${palisade.collectorUrl}/v1/metrics`,
          headers,
          temporalityPreference: AggregationTemporality.DELTA,
        }),
      ),
    )
    protobuf
      .getMeter('mesh')
      .createCounter('palisade.mtls.handshakes')
      .add(4, { outcome: 'success', mode: 'tls' })
    await protobuf.forceFlush()
    await protobuf.shutdown()
    // Two JSON intervals and one protobuf, every data point taken.
    expect(exportResults).toEqual([EXPORTED, EXPORTED, EXPORTED])
    expect(partialSuccesses).toEqual([])
  })

  it('exports cumulative handshake counters (the SDK default) over JSON and protobuf: each export counts its increase', async () => {
    for (const [Exporter, service] of [
      [JsonMetricExporter, 'mesh-cumulative-json'],
      [ProtobufMetricExporter, 'mesh-cumulative-proto'],
    ] as const) {
      const provider = meterProvider(
        recorded(new Exporter({ url: `${palisade.collectorUrl}/v1/metrics`, headers })),
        service,
      )
      const handshakes = provider.getMeter('mesh').createCounter('palisade.mtls.handshakes')
      handshakes.add(1, { outcome: 'success' })
      await provider.forceFlush()
      // The next export says 3 in all since the start: 2 more.
      handshakes.add(2, { outcome: 'success' })
      await provider.forceFlush()
      // Shutdown exports the stream once more, unchanged: nothing more.
      await provider.shutdown()
    }
    // Every export taken whole: no data point kept back in quarantine.
    expect(exportResults.length).toBeGreaterThanOrEqual(4)
    expect(exportResults.every((code) => code === EXPORTED)).toBe(true)
    expect(partialSuccesses).toEqual([])
  })

  it('has stored what the SDK sent, once, and quarantined what is not perimeter telemetry', async () => {
    palisade.child.kill('SIGTERM')
    expect(await palisade.exited).toBe(0)
    const client: ClickHouseClient = await openClickHouse({
      kind: 'embedded',
      dataDir: join(dataDir, 'clickhouse'),
    })
    const rows = async <T>(query: string) =>
      (await (await client.query({ query, format: 'JSONEachRow' })).json()) as T[]
    try {
      expect(
        await rows('SELECT principal, outcome, service, source FROM auth_events ORDER BY principal'),
      ).toEqual([
        { principal: 'json@acme.io', outcome: 'success', service: 'checkout', source: 'otlp' },
        { principal: 'proto-1@acme.io', outcome: 'failure', service: 'checkout', source: 'otlp' },
        { principal: 'proto-2@acme.io', outcome: 'failure', service: 'checkout', source: 'otlp' },
      ])
      expect(await rows('SELECT decision, latency_ms, resource FROM decision_events')).toEqual([
        { decision: 'deny', latency_ms: 12.5, resource: '/admin' },
      ])
      expect(
        await rows(
          `SELECT outcome, mode, toUInt32(sum(count)) AS handshakes, toUInt32(count()) AS records
           FROM mtls_events WHERE service = 'mesh' GROUP BY outcome, mode ORDER BY outcome, mode`,
        ),
      ).toEqual([
        { outcome: 'failure', mode: 'mutual', handshakes: 2, records: 1 },
        { outcome: 'success', mode: 'mutual', handshakes: 8, records: 2 },
        { outcome: 'success', mode: 'tls', handshakes: 4, records: 1 },
      ])
      expect(
        await rows(
          `SELECT service, toUInt32(sum(count)) AS handshakes, toUInt32(count()) AS records
           FROM mtls_events WHERE service LIKE 'mesh-cumulative%' GROUP BY service ORDER BY service`,
        ),
      ).toEqual([
        { service: 'mesh-cumulative-json', handshakes: 3, records: 2 },
        { service: 'mesh-cumulative-proto', handshakes: 3, records: 2 },
      ])
      const quarantined = await rows<{ kind: string; reason: string }>(
        'SELECT DISTINCT kind, reason FROM quarantine ORDER BY kind',
      )
      expect(quarantined).toEqual([
        { kind: 'otlp-logs', reason: expect.stringContaining('not perimeter telemetry') },
      ])
    } finally {
      await client.close()
    }
  })
})
