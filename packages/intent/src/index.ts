export type { AuthorizationRequest } from './authorization-policies.ts'
export {
  type DeclaredChange,
  type DeclaredEgressRange,
  type DeclaredIntent,
  goesBy,
  type IntentVerdict,
  type MtlsIntent,
  parseWorkload,
  type WorkloadRef,
  workloadNames,
} from './declared-intent.ts'
export { IntentError } from './errors.ts'
export {
  type CoverageFigure,
  type IntentCoverage,
  intentCoverage,
  type ObservedEdge,
} from './intent-coverage.ts'
export {
  type BuildIntentOptions,
  type BuiltIntent,
  buildIntent,
  emptyIntent,
  type IntentDocumentInput,
  type IntentSummary,
  intentKinds,
} from './intent-documents.ts'
export { parseIntentFile } from './intent-files.ts'
export { formatIntentProblem, type IntentProblem } from './intent-problem.ts'
export { formatIntentReport } from './intent-report.ts'
