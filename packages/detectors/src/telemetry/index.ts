import type { DetectorType } from '../rules/detector-type.ts'
import { sourceGapType } from './source-gap.ts'

/** Telemetry gaps: sources and enforcement points gone silent. */
export const telemetryDetectorTypes: DetectorType[] = [sourceGapType]
