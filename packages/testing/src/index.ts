export { seedBaselineDays } from './baseline-days.ts'
export { testEnvironment } from './config.ts'
export {
  type DashboardTestServer,
  fixedSloSource,
  type SeededDashboardStore,
  startDashboardTestServer,
  testTokens,
} from './dashboard-test-server.ts'
export { copyDeclarations, type DeclarationsCopy } from './declarations-copy.ts'
export { KafkaTestBrokerError, TestHarnessError } from './errors.ts'
export { freePort } from './free-port.ts'
export { type KafkaBroker, type KafkaBrokerOptions, startKafkaBroker } from './kafka/kafka-broker.ts'
export {
  type KafkaJarsOptions,
  kafkaVersion,
  resolveKafkaJars,
  resolveKafkaToolsJars,
} from './kafka/kafka-jars.ts'
export { ensureOpaBinary, findGo, opaAvailable, opaCacheDir, opaVersion } from './opa-binary.ts'
export {
  type OtlpSpan,
  type OtlpTraceReceiver,
  type OtlpTraces,
  startOtlpTraceReceiver,
} from './otlp-trace-receiver.ts'
export { type ReceivedEvent, startPagerDutySink } from './pagerduty-sink.ts'
export { type AppProcess, startAppProcess } from './processes/app-process.ts'
export { type LaunchedProcess, launchPalisade } from './processes/launched-process.ts'
export { type PalisadeProcess, startPalisadeProcess } from './processes/palisade-process.ts'
export {
  type PrometheusOptions,
  type PrometheusSample,
  type PrometheusServer,
  type PrometheusTarget,
  type PrometheusTargetStatus,
  startPrometheus,
} from './prometheus-server.ts'
export { type PromtoolVerdict, promtoolCheckMetrics } from './promtool-check-metrics.ts'
export { rawPanelQueries } from './raw-panel-queries.ts'
export {
  insertSyntheticEvents,
  type SyntheticEventCounts,
  type SyntheticEventsOptions,
} from './synthetic-events.ts'
