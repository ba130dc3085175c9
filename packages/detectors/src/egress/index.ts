import type { DetectorType } from '../rules/detector-type.ts'
import { exfiltrationVolumeType } from './exfiltration-volume.ts'
import { newExternalDestinationType } from './new-external-destination.ts'

/** Egress: new external destinations, upload volume far above baseline. */
export const egressDetectorTypes: DetectorType[] = [newExternalDestinationType, exfiltrationVolumeType]
