import type { DetectorType } from '../rules/detector-type.ts'
import { sourceGapType } from './source-gap.ts'

/** Telemetry gaps: sources and enforcement points gone silent. */
export const telemetryDetectorTypes: DetectorType[] = [sourceGapType]
export { enforcementPointOf, gapThreshold, type SourceGapState, sourceGapType } from './source-gap.ts'
export {
  checkSourceSilence,
  defaultSourceSilenceSettings,
  noteArrival,
  SOURCE_SILENT_RULE,
  type SourceArrival,
  type SourceArrivals,
  type SourceGapParams,
  type SourceSilenceCheck,
  type SourceSilenceSettings,
} from './source-silence.ts'
