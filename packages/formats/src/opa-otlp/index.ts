import type { FormatParser } from '../format-parser.ts'
import { opaDecisionLogParser } from './opa-decision-log.ts'
import { otlpLogsParser } from './otlp-logs.ts'
import { otlpMetricsParser } from './otlp-metrics.ts'

export { opaDecisionLogParser } from './opa-decision-log.ts'
export { type CounterReading, cumulativeToDelta, type DeltaRequest } from './otlp-cumulative.ts'
export { otlpLogsParser } from './otlp-logs.ts'
export { otlpMetricsParser } from './otlp-metrics.ts'

/** OPA decision logs and OTLP/HTTP logs and metrics (JSON; protobuf is decoded before parsing). */
export const opaOtlpParsers: FormatParser[] = [opaDecisionLogParser, otlpLogsParser, otlpMetricsParser]
