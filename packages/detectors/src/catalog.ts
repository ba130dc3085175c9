import { egressDetectorTypes } from './egress/index.ts'
import { huntDetectorType } from './hunt/hunt-rule.ts'
import { identityDetectorTypes } from './identity/index.ts'
import { lateralDetectorTypes } from './lateral/index.ts'
import { mtlsDetectorTypes } from './mtls/index.ts'
import { policyDetectorTypes } from './policy/index.ts'
import type { DetectorType } from './rules/detector-type.ts'
import { telemetryDetectorTypes } from './telemetry/index.ts'

/** Every detector type rule files can instantiate, by area. */
export const detectorCatalog: readonly DetectorType[] = [
  ...lateralDetectorTypes,
  ...identityDetectorTypes,
  ...mtlsDetectorTypes,
  ...policyDetectorTypes,
  ...egressDetectorTypes,
  ...telemetryDetectorTypes,
  // Saved hunts on a schedule: run by the detector app over the store, not over the stream.
  huntDetectorType,
]
