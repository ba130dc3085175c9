export { detectorCatalog } from './catalog.ts'
export type { DetectedFinding, Detector } from './detector.ts'
export {
  type HuntRuleParams,
  type HuntRunAnswer,
  huntDetectorType,
  huntFindings,
  huntRuleParams,
} from './hunt/hunt-rule.ts'
export { type NewEdgeOptions, type NewEdgeState, newEdgeDetector } from './new-edge-detector.ts'
export {
  createRiskScorer,
  type RiskScorer,
  type RiskSettings,
  type RiskState,
  riskIdentityOf,
  riskSettingsSchema,
} from './risk/risk-scorer.ts'
export {
  buildFinding,
  type DetectorType,
  defineDetectorType,
  evidenceIds,
  type FindingDraft,
  type RuleContext,
} from './rules/detector-type.ts'
export { duration, formatSpan } from './rules/duration.ts'
export { type NoiseSettings, type RuleState, withNoiseControl } from './rules/rule-instance.ts'
export { createHeartbeatSampler, type KindedEvent, runDetector } from './run-detector.ts'
export {
  checkSourceSilence,
  defaultSourceSilenceSettings,
  noteArrival,
  SOURCE_SILENT_RULE,
  type SourceArrival,
  type SourceArrivals,
  type SourceGapParams,
  type SourceGapState,
  type SourceSilenceCheck,
  type SourceSilenceSettings,
  sourceGapType,
} from './telemetry/index.ts'
