// The formats bench (`npm run bench:formats`), as a function the smoke test runs at a tiny size:
// records per second through each wire format's parser and the event model's validation (what the
// collector does per record before the bus), on the shared fixtures scaled up to about `records`
// records, beside our native NDJSON on the same number of records. One process, one run.
import { existsSync, readFileSync } from 'node:fs'
import { formatParsers } from '@palisade/formats'
import {
  crs4BlockedModsecurityRecord,
  elasticAwsWafRecords,
  elasticModsecurityRecords,
} from '@palisade/formats/testing'
import { validateEvent } from '@palisade/schema'
import { benchFlowEvents } from './bench-events.ts'

const fixtures = new URL('../../shared/fixtures/', import.meta.url)

/** Each format with the fixture it is measured on (sources: ../shared/fixtures/README.md). */
const cases: {
  format: string
  file: string
  /** The records themselves, for formats the shared fixtures have none of (`file` then only names them). */
  text?: string
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
  // Real records kept in the formats' testing module (sources there).
  { format: 'aws-waf', file: 'elastic-test-waf.log', text: elasticAwsWafRecords.join('\n') },
  {
    format: 'modsecurity-audit',
    file: 'elastic-test-audit.log+crs4-block',
    text: [...elasticModsecurityRecords, crs4BlockedModsecurityRecord].join('\n'),
  },
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

/** One row of the table: a format on one fixture, its rate and its ratio to native NDJSON. */
export interface FormatRate {
  format: string
  fixture: string
  valid: number
  rejected: number
  /** Records per second (valid and rejected); undefined when the format is not available. */
  perSecond?: number
  /** `perSecond` over native NDJSON's in the same run. */
  vsNative?: number
}

/** Measure native NDJSON, then every format on its fixture, each on about `target` records. */
export function runFormatsBench(target: number): FormatRate[] {
  if (!existsSync(fixtures))
    throw new Error(`the shared fixtures are not at ${fixtures.pathname}; nothing to measure`)
  const rows: FormatRate[] = []
  let nativeRate = 0
  // Our own NDJSON on the benches' realistic flow events, on as many records as the others: the reference.
  const lines = benchFlowEvents(1000)
    .events.map((event) => JSON.stringify(event))
    .join('\n')
  const native = measure('flow', lines, Math.max(1, Math.round(target / 1000)))
  nativeRate = native.perSecond
  rows.push({
    format: 'flow (native NDJSON)',
    fixture: '(realistic, generated)',
    valid: native.valid,
    rejected: native.rejected,
    perSecond: native.perSecond,
    vsNative: 1,
  })
  for (const entry of cases) {
    const parser = formatParsers.get(entry.format)
    const fixture = entry.file.split('/').pop()!
    if (!parser) {
      rows.push({ format: entry.format, fixture, valid: 0, rejected: 0 })
      continue
    }
    const raw = entry.text ?? readFileSync(new URL(entry.file, fixtures), 'utf8')
    const text = entry.unwrap ? entry.unwrap(raw) : raw
    const once = parser.parse(text, entry.options)
    const perRound = Math.max(1, once.records.length + once.rejected.length)
    const result = measure(entry.format, text, Math.max(1, Math.round(target / perRound)), entry.options)
    rows.push({
      format: entry.format,
      fixture,
      valid: result.valid,
      rejected: result.rejected,
      perSecond: result.perSecond,
      vsNative: result.perSecond / nativeRate,
    })
  }
  return rows
}

/** The table: format, fixture, valid and rejected records, records/s, ratio to native NDJSON. */
export function formatsBenchReport(rows: FormatRate[]): string {
  const cells = rows.map((row) => [
    row.format,
    row.fixture,
    String(row.valid),
    String(row.rejected),
    row.perSecond === undefined ? 'not available' : Math.round(row.perSecond).toLocaleString('en'),
    row.vsNative === undefined ? '-' : row.vsNative.toFixed(2),
  ])
  const header = ['format', 'fixture', 'valid', 'rejected', 'records/s', 'vs native']
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)))
  return [header, ...cells].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n')
}
