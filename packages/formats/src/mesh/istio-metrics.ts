// Istio standard metrics in the Prometheus text exposition (see prometheus-text.ts for the line
// grammar), as a scrape of a sidecar's `:15020/stats/prometheus`, a Prometheus `/federate` answer
// or a `promtool tsdb dump` gives them:
//
//   istio_requests_total{reporter, source_principal, destination_principal, destination_service,
//                        connection_security_policy, response_code, ...} <count> [timestamp]
//   istio_tcp_connections_opened_total{same labels, without the request ones} <count> [timestamp]
//   reporter                   = "destination" / "source" / ...
//   connection_security_policy = "mutual_tls" / "none" / "unknown"
//   *_principal                = SPIFFE ID / "unknown"
//
// Every other line (other metrics, HELP, TYPE) is skipped: a scrape holds thousands of them.
//
// Which samples count. Only the destination reporter knows how the connection it accepted was
// secured: it reports `mutual_tls` or `none`, while the source reporter always says `unknown`.
// Each request or connection between two sidecars is counted by both, so the source's samples are
// skipped, not used as a fallback: they would count the same traffic twice, and where there is no
// destination sidecar (egress, a workload outside the mesh) `unknown` still cannot say mTLS or not.
// A destination sample saying `unknown` is rejected with that reason.
//
// What a sample becomes: one mTLS event, mode `mutual` (mutual_tls) or `plaintext` (none), outcome
// `success` (a metric only sees traffic that got through; failed handshakes come from
// envoy-tls-stats), `count` = the traffic it stands for: requests for istio_requests_total (HTTP
// and gRPC services), connections for istio_tcp_connections_opened_total (TCP services; Istio
// reports one or the other for a service, so the two do not overlap). Service = destination_service.
//
// Cumulative counters. A Prometheus counter is a total since the proxy started, so one scrape says
// nothing about when its requests happened, and two scrapes sent one after the other would count
// everything twice. A pure parser cannot keep the previous scrape between requests, so counts come
// only from what one input holds:
//   - temporality=cumulative (default): the increase between successive samples of the same series
//     in the input (ordered by timestamp), a drop meaning a restart (Prometheus's `increase()`). The
//     first sample of a series is the baseline and produces nothing; an input with one scrape
//     produces nothing. Send the previous scrape with the current one, or a dump holding many;
//     an increase's id is derived from both samples, so overlapping inputs add nothing twice.
//   - temporality=delta: each sample is already an increase (the sender differenced its scrapes),
//     counted as it is.
// An increase of 0 is no traffic: no event. Samples carry their own timestamp, else options.ts
// (the scrape time); a sample with neither is rejected, since a parser has no clock.

import { canonicalJson, deriveEventId } from '@palisade/schema'
import type { FormatParser, ParsedRecord, ParseOptions, ParseResult } from '../format-parser.ts'
import { counterIncrease, counterOptionNames, isCount, readCounterOptions } from './counter-options.ts'
import { parsePrometheusLine } from './prometheus-text.ts'
import { identityFromIstioPrincipal } from './spiffe-id.ts'

const formatName = 'istio-metrics'
const countedMetrics = new Set(['istio_requests_total', 'istio_tcp_connections_opened_total'])
const modes: Readonly<Record<string, 'mutual' | 'plaintext'>> = { mutual_tls: 'mutual', none: 'plaintext' }

/** A sample of a counted series, mapped, waiting for its increase. */
interface Reading {
  line: number
  raw: string
  name: string
  labels: Record<string, string>
  value: number
  ts: number
  fields: Record<string, unknown>
}

/** The mTLS fields a destination sample's labels give, or the reason they cannot be read. */
function mtlsFields(labels: Record<string, string>): Record<string, unknown> | string {
  const policy = labels.connection_security_policy
  const mode = policy === undefined ? undefined : modes[policy]
  if (mode === undefined) {
    return `connection_security_policy "${policy ?? ''}" on a destination sample: cannot tell mTLS from plaintext`
  }
  const source = identityFromIstioPrincipal(labels.source_principal)
  if (!source.ok) return `source_principal: ${source.reason}`
  const destination = identityFromIstioPrincipal(labels.destination_principal)
  if (!destination.ok) return `destination_principal: ${destination.reason}`
  const service = labels.destination_service
  return {
    source: 'istio',
    ...(service !== undefined && service !== '' && service !== 'unknown' ? { service } : {}),
    ...(source.identity !== undefined ? { src_identity: source.identity } : {}),
    ...(destination.identity !== undefined ? { dst_identity: destination.identity } : {}),
    mode,
    outcome: 'success',
  }
}

function parse(input: string, options?: ParseOptions): ParseResult {
  const result: ParseResult = { records: [], rejected: [] }
  const counter = readCounterOptions(options)
  const series = new Map<string, Reading[]>()
  const lines = input.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!.replace(/\r$/, '')
    const line = index + 1
    const sample = parsePrometheusLine(raw)
    if (sample === undefined) continue
    if (typeof sample === 'string') {
      result.rejected.push({ line, raw, reason: sample })
      continue
    }
    if (!countedMetrics.has(sample.name) || sample.labels.reporter !== 'destination') continue
    if ('problem' in counter) {
      result.rejected.push({ line, raw, reason: counter.problem })
      continue
    }
    if (!isCount(sample.value)) {
      result.rejected.push({ line, raw, reason: `${sample.name}: value ${sample.value} is not a count` })
      continue
    }
    const ts = sample.ts ?? counter.ts
    if (ts === undefined) {
      result.rejected.push({
        line,
        raw,
        reason: 'sample has no timestamp: add one, or pass options.ts (the scrape time)',
      })
      continue
    }
    const fields = mtlsFields(sample.labels)
    if (typeof fields === 'string') {
      result.rejected.push({ line, raw, reason: fields })
      continue
    }
    const key = canonicalJson({ name: sample.name, labels: sample.labels })
    const reading: Reading = {
      line,
      raw,
      name: sample.name,
      labels: sample.labels,
      value: sample.value,
      ts,
      fields,
    }
    const readings = series.get(key)
    if (readings === undefined) series.set(key, [reading])
    else readings.push(reading)
  }
  if ('problem' in counter) return result
  for (const readings of series.values()) {
    // Array.prototype.sort is stable: samples with the same time keep their order in the input.
    readings.sort((a, b) => a.ts - b.ts)
    for (let index = 0; index < readings.length; index++) {
      const reading = readings[index]!
      const previous = counter.temporality === 'cumulative' ? readings[index - 1] : undefined
      if (counter.temporality === 'cumulative' && previous === undefined) continue
      const count = previous === undefined ? reading.value : counterIncrease(previous.value, reading.value)
      if (count === 0) continue
      const source = {
        name: reading.name,
        labels: reading.labels,
        ...(previous !== undefined ? { from: { value: previous.value, ts: previous.ts } } : {}),
        to: { value: reading.value, ts: reading.ts },
      }
      result.records.push({
        line: reading.line,
        raw: previous === undefined ? reading.raw : `${previous.raw}\n${reading.raw}`,
        kind: 'mtls',
        event: {
          event_id: deriveEventId(`${formatName}/mtls`, source),
          ts: reading.ts,
          ...reading.fields,
          count,
        },
      } satisfies ParsedRecord)
    }
  }
  result.records.sort((a, b) => a.line - b.line)
  return result
}

/** Istio `istio_requests_total` / `istio_tcp_connections_opened_total` (Prometheus text) → mTLS events. */
export const istioMetricsParser: FormatParser = {
  name: formatName,
  description:
    'Istio request/TCP connection counters, Prometheus text (destination reporter); cumulative: the increase between samples in one input',
  kinds: ['mtls'],
  cumulativeCounters: true,
  options: counterOptionNames,
  parse,
}
