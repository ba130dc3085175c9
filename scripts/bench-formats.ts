// npm run bench:formats [-- --records N]
//
// Records per second through each wire format's parser and the event model's validation (what the
// collector does per record before the bus), on the shared fixtures scaled up to about N records,
// beside our native NDJSON on the same number of records. One process, one run, side by side.
import { existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { formatParsers } from '@palisade/formats'
import { validateEvent } from '@palisade/schema'

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '200000' } } })
const target = Number(args.records)
const fixtures = new URL('../../shared/fixtures/', import.meta.url)

/** Each format with the fixture it is measured on (sources: ../shared/fixtures/README.md). */
const cases: {
  format: string
  file: string
  options?: Record<string, string>
  unwrap?: (text: string) => string
}[] = [
  { format: 'aws-vpc-flow', file: 'aws-vpc-flow/awsdocs-default-v2.log' },
  {
    format: 'gcp-vpc-flow',
    file: 'gcp-vpc-flow/elastic-test-vpcflow-event-first13.json',
    // Elastic's test envelope around real Cloud Logging entries: one entry per line, as exported.
    unwrap: (text) =>
      (JSON.parse(text) as { events: { json: unknown }[] }).events
        .map((e) => JSON.stringify(e.json))
        .join('\n'),
  },
  { format: 'azure-nsg-flow', file: 'azure-nsg-flow/elastic-sample-testdata.log' },
  { format: 'hubble-flow', file: 'hubble-flow/hubble-otel-basic-sample-400-tcp-flows.first120.json' },
  { format: 'zeek-conn', file: 'zeek-conn/brimdata-zed-conn.log' },
  { format: 'zeek-conn', file: 'zeek-conn/elastic-test-conn.json.log' },
  { format: 'envoy-access-log', file: 'istio-access-log/elastic-test-access-json-logs.log' },
  { format: 'envoy-access-log', file: 'istio-access-log/elastic-test-access-logs.log' },
  { format: 'opa-decision-log', file: 'opa-decision/opa-docs-decision-log-upload-body.json' },
  { format: 'okta-system-log', file: 'okta-system-log/elastic-test-okta-system-events.log' },
  { format: 'keycloak-event', file: 'keycloak-event/elastic-test-log.log', options: { date: '2026-11-23' } },
  { format: 'cloudtrail-login', file: 'cloudtrail-login/awsdocs-console-signin-events.ndjson' },
  { format: 'otlp-logs', file: 'otlp-json/otel-proto-examples-logs.json' },
  { format: 'otlp-metrics', file: 'otlp-json/otel-proto-examples-metrics.json' },
]

/** Parse and validate `text` `rounds` times; records/s counts records that came out valid. */
function measure(format: string, text: string, rounds: number, options?: Record<string, string>) {
  const parser = formatParsers.get(format)!
  let valid = 0
  let rejected = 0
  const started = performance.now()
  for (let round = 0; round < rounds; round++) {
    const result = parser.parse(text, options)
    rejected += result.rejected.length
    for (const record of result.records) {
      if (validateEvent(record.kind, record.event, { tenant: 'bench', observedAt: 0 }).ok) valid++
      else rejected++
    }
  }
  const seconds = (performance.now() - started) / 1000
  return { valid, rejected, seconds, perSecond: (valid + rejected) / seconds }
}

if (!existsSync(fixtures)) {
  console.error(`the shared fixtures are not at ${fixtures.pathname}; nothing to measure`)
  process.exit(1)
}

const rows: string[][] = []
let nativeRate = 0
// Our own NDJSON, on as many records as the others: the reference.
{
  const lines = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({
      event_id: `n-${i}`,
      ts: 1795428000000 + i,
      src_ip: '10.0.0.1',
      dst_ip: '10.0.0.2',
      dst_port: 443,
      bytes_sent: i,
    }),
  ).join('\n')
  const result = measure('flow', lines, Math.max(1, Math.round(target / 1000)))
  nativeRate = result.perSecond
  rows.push([
    'flow (native NDJSON)',
    '(generated)',
    String(result.valid),
    String(result.rejected),
    Math.round(result.perSecond).toLocaleString('en'),
    '1.00',
  ])
}
for (const entry of cases) {
  const parser = formatParsers.get(entry.format)
  if (!parser) {
    rows.push([entry.format, entry.file, '-', '-', 'not available', '-'])
    continue
  }
  const raw = readFileSync(new URL(entry.file, fixtures), 'utf8')
  const text = entry.unwrap ? entry.unwrap(raw) : raw
  const once = parser.parse(text, entry.options)
  const perRound = Math.max(1, once.records.length + once.rejected.length)
  const result = measure(entry.format, text, Math.max(1, Math.round(target / perRound)), entry.options)
  rows.push([
    entry.format,
    entry.file.split('/').pop()!,
    String(result.valid),
    String(result.rejected),
    Math.round(result.perSecond).toLocaleString('en'),
    (result.perSecond / nativeRate).toFixed(2),
  ])
}
const header = ['format', 'fixture', 'valid', 'rejected', 'records/s', 'vs native']
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)))
for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '))
