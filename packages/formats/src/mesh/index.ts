import type { FormatParser } from '../format-parser.ts'
import { envoyAccessLogParser, istioAccessLogParser } from './envoy-access-log.ts'
import { envoyTlsStatsParser } from './envoy-tls-stats.ts'
import { istioMetricsParser } from './istio-metrics.ts'

/** Mesh formats: Envoy/Istio access logs (ext_authz, RBAC), Istio metrics and Envoy TLS stats. */
export const meshParsers: FormatParser[] = [
  envoyAccessLogParser,
  istioAccessLogParser,
  istioMetricsParser,
  envoyTlsStatsParser,
]
