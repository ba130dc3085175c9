import { canonicalJson } from '@palisade/schema'
import { counterIncrease, isCount } from '../mesh/counter-options.ts'
import { asArray, asObject, readOtlpAttributes, unixNanoToMs } from './otlp-attributes.ts'
import { countMetrics, cumulativeTemporality } from './otlp-metrics.ts'

/** The last reading of one cumulative series: its running total and when it was read. */
export interface CounterReading {
  value: number
  timeUnixNano: string
}

/** What {@link cumulativeToDelta} made of a request: the request to parse, and the readings to keep once it is stored. */
export interface DeltaRequest {
  request: unknown
  readings: Map<string, CounterReading>
}

/**
 * Turn the cumulative sums of a metrics request (the OpenTelemetry SDK's default temporality) into
 * the delta sums the otlp-metrics format maps: each point becomes the increase of its series since
 * the previous reading (`counterIncrease`, a drop meaning a restart: the rule the Istio and Envoy
 * readers apply to successive samples of a scrape), over the interval since that reading, so its
 * event id names the interval and a retried request adds nothing twice.
 *
 * A series is the tenant, resource, metric, point attributes and start time. Its previous reading
 * is the one in `known` (kept by the caller once a request is stored), else its start at 0 when it
 * started at or after `sinceMs` (this process saw it whole), else unknown: that point is the
 * baseline and counts nothing (flagged "no recorded value"), so that a restart never counts a
 * total twice. Pure: no clock, no I/O; the caller holds the state.
 */
export function cumulativeToDelta(
  tenant: string,
  request: unknown,
  known: ReadonlyMap<string, CounterReading>,
  sinceMs: number,
): DeltaRequest {
  const readings = new Map<string, CounterReading>()
  const copy = structuredClone(request)
  for (const resourceMetrics of asArray(asObject(copy)?.resourceMetrics)) {
    const resource = readOtlpAttributes(asObject(asObject(resourceMetrics)?.resource)?.attributes)
    for (const scopeMetrics of asArray(asObject(resourceMetrics)?.scopeMetrics)) {
      for (const item of asArray(asObject(scopeMetrics)?.metrics)) {
        const metric = asObject(item)
        const sum = asObject(metric?.sum)
        const name = String(metric?.name ?? '')
        if (!sum || !(name in countMetrics) || !cumulativeTemporality.has(sum.aggregationTemporality))
          continue
        if (sum.isMonotonic !== true) continue
        sum.aggregationTemporality = 1
        for (const entry of asArray(sum.dataPoints)) {
          const point = asObject(entry)
          if (!point) continue
          const value = point.asInt !== undefined ? Number(point.asInt) : point.asDouble
          const time = String(point.timeUnixNano ?? '')
          // A point that is not a count, or has no time, goes on as it is: the format rejects it.
          if (typeof value !== 'number' || !isCount(value) || unixNanoToMs(time) === undefined) continue
          const start = String(point.startTimeUnixNano ?? '')
          const key = canonicalJson({
            tenant,
            resource,
            name,
            attributes: readOtlpAttributes(point.attributes),
            start,
          })
          const startMs = unixNanoToMs(start)
          const previous =
            readings.get(key) ??
            known.get(key) ??
            (startMs !== undefined && startMs >= sinceMs ? { value: 0, timeUnixNano: start } : undefined)
          readings.set(key, { value, timeUnixNano: time })
          delete point.asDouble
          if (previous === undefined) {
            point.asInt = '0'
            point.flags = Number(point.flags ?? 0) | 1
            continue
          }
          point.startTimeUnixNano = previous.timeUnixNano
          point.asInt = String(counterIncrease(previous.value, value))
        }
      }
    }
  }
  return { request: copy, readings }
}
