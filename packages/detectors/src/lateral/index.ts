import type { DetectorType } from '../rules/detector-type.ts'
import { crossNamespaceType } from './cross-namespace.ts'
import { fanOutScanType } from './fan-out-scan.ts'
import { newEdgeType } from './new-edge.ts'
import { postCompromiseChainType } from './post-compromise-chain.ts'

/** Lateral movement: new edges, fan-out scans, cross-namespace access, post-compromise chains. */
export const lateralDetectorTypes: DetectorType[] = [
  newEdgeType,
  fanOutScanType,
  crossNamespaceType,
  postCompromiseChainType,
]
