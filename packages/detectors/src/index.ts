export type { DetectedFinding, Detector } from './detector.ts'
export { type NewEdgeOptions, type NewEdgeState, newEdgeDetector } from './new-edge-detector.ts'
