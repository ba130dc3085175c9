import type { DetectorType } from '../rules/detector-type.ts'
import { denySpikeAfterRolloutType } from './deny-spike-after-rollout.ts'
import { driftType } from './drift.ts'
import { versionSkewType } from './version-skew.ts'

/** Policy: deny spikes after rollouts, version skew, drift from declared intent. */
export const policyDetectorTypes: DetectorType[] = [denySpikeAfterRolloutType, versionSkewType, driftType]
