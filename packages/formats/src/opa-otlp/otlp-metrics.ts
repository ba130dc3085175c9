// OTLP/HTTP metrics, JSON encoding (opentelemetry-proto v1.x, collector/metrics/v1/metrics_service.proto):
//   ExportMetricsServiceRequest = {"resourceMetrics": [ResourceMetrics]}
//   ResourceMetrics = {"resource": {"attributes": [KeyValue]}, "scopeMetrics": [ScopeMetrics]}
//   ScopeMetrics    = {"scope": {...}, "metrics": [Metric]}
//   Metric          = {"name", "unit", "description", one of "gauge" | "sum" | "histogram" |
//                      "exponentialHistogram" | "summary": {"dataPoints": [...], ...}}
//   Sum             = {"dataPoints": [NumberDataPoint], "aggregationTemporality": 1 (delta) |
//                      2 (cumulative), "isMonotonic": bool}
//   NumberDataPoint = {"attributes": [KeyValue], "startTimeUnixNano", "timeUnixNano",
//                      "asInt": "<int64>" | "asDouble": n, "flags": 1 = no recorded value}
// A protobuf body is decoded by the collector into this same shape before it comes here.
//
// Which metrics are perimeter telemetry (the Palisade convention), kept small on purpose:
//   - `palisade.mtls.handshakes`, a monotonic Sum with DELTA temporality: each data point becomes
//     one mTLS event with `count` = the point's value and the point's attributes as our fields
//     (`outcome` is required; `src_identity`, `dst_identity`, `mode`, `reason`, ...), `ts` = the
//     end of the interval (timeUnixNano);
//   - a point whose value is 0, or flagged "no recorded value", stands for no handshake: skipped;
//   - CUMULATIVE sums (the SDKs' default) are turned into deltas by the collector's /v1/metrics
//     route before they come here (otlp-cumulative.ts: it keeps each series' last reading); a
//     cumulative sum that reaches this parser directly (`/v1/ingest/otlp-metrics`, a replay) is
//     rejected with a reason, since a pure parser has no previous reading;
//   - every other metric and point type is rejected: it is not an event of ours.
// Each data point is one "line" (numbered across the request), so that the OTLP partial-success
// answer counts rejected data points.

import { deriveEventId, type EventKind } from '@palisade/schema'
import type { FormatParser, ParseResult } from '../format-parser.ts'
import {
  asArray,
  asObject,
  otlpService,
  pickEventFields,
  readOtlpAttributes,
  unixNanoToMs,
} from './otlp-attributes.ts'

/** The metrics that map to events, by name: the kind they become (each kind has a `count`). */
export const countMetrics: Readonly<Record<string, EventKind>> = { 'palisade.mtls.handshakes': 'mtls' }

const pointTypes = ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary'] as const
const deltaTemporality = new Set<unknown>([1, 'AGGREGATION_TEMPORALITY_DELTA'])
export const cumulativeTemporality = new Set<unknown>([2, 'AGGREGATION_TEMPORALITY_CUMULATIVE'])
const flagNoRecordedValue = 1

/** Why the points of a metric cannot become events, or undefined when they can. */
function metricProblem(
  name: string,
  type: string | undefined,
  data: Record<string, unknown>,
): string | undefined {
  if (!(name in countMetrics)) {
    return `not perimeter telemetry: metric "${name}" is not one Palisade maps (${Object.keys(countMetrics).join(', ')})`
  }
  if (type !== 'sum')
    return `metric "${name}" is a ${type ?? 'metric without data'}; only a monotonic delta sum maps`
  if (cumulativeTemporality.has(data.aggregationTemporality)) {
    return `metric "${name}" has cumulative temporality; send delta (exporter temporality preference: delta)`
  }
  if (!deltaTemporality.has(data.aggregationTemporality)) {
    return `metric "${name}" has no aggregation temporality; send delta`
  }
  if (data.isMonotonic !== true) return `metric "${name}" is not monotonic; a handshake count only grows`
  return undefined
}

/** The value of a number data point as a count, or the reason it is not one. */
function pointCount(point: Record<string, unknown>): number | string {
  const value = point.asInt !== undefined ? Number(point.asInt) : point.asDouble
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return `data point value ${JSON.stringify(point.asInt ?? point.asDouble ?? null)} is not a whole non-negative count`
  }
  return value
}

/** OTLP/HTTP metrics (JSON encoding): delta sums named `palisade.mtls.handshakes` become mTLS events. */
export const otlpMetricsParser: FormatParser = {
  name: 'otlp-metrics',
  description:
    'OTLP/HTTP ExportMetricsServiceRequest (JSON); delta sums palisade.mtls.handshakes become mTLS events',
  kinds: ['mtls'],
  parse(input): ParseResult {
    const request = asObject(JSON.parse(input))
    if (!request) throw new SyntaxError('body is not an ExportMetricsServiceRequest object')
    const result: ParseResult = { records: [], rejected: [] }
    let line = 0
    for (const resourceMetrics of asArray(request.resourceMetrics)) {
      const resource = readOtlpAttributes(asObject(asObject(resourceMetrics)?.resource)?.attributes)
      for (const scopeMetrics of asArray(asObject(resourceMetrics)?.scopeMetrics)) {
        for (const item of asArray(asObject(scopeMetrics)?.metrics)) {
          const metric = asObject(item) ?? {}
          const name = String(metric.name ?? '')
          const type = pointTypes.find((candidate) => asObject(metric[candidate]) !== undefined)
          const data = (type && asObject(metric[type])) || {}
          const points = asArray(data.dataPoints)
          const problem = metricProblem(name, type, data)
          for (const entry of points) {
            line++
            const raw = JSON.stringify({ name, [type ?? 'data']: { ...data, dataPoints: [entry] } })
            if (problem !== undefined) {
              result.rejected.push({ line, raw, reason: problem })
              continue
            }
            const point = asObject(entry) ?? {}
            if ((Number(point.flags ?? 0) & flagNoRecordedValue) !== 0) continue
            const count = pointCount(point)
            if (typeof count === 'string') {
              result.rejected.push({ line, raw, reason: count })
              continue
            }
            if (count === 0) continue
            const kind = countMetrics[name]!
            const attributes = readOtlpAttributes(point.attributes)
            const event = pickEventFields(kind, attributes)
            event.count = count
            const ts = unixNanoToMs(point.timeUnixNano)
            if (event.ts === undefined && ts !== undefined) event.ts = ts
            event.source ??= 'otlp'
            const service = otlpService(attributes, resource)
            if (service !== undefined) event.service = service
            event.event_id ??= deriveEventId('otlp-metrics', { resource, name, point })
            result.records.push({ line, raw, kind, event })
          }
        }
      }
    }
    return result
  },
}
