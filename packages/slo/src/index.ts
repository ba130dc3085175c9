export { budgetBurnDown, burnDownStepMs, type StepCounts } from './budget-burn-down.ts'
export {
  type BurnRateTier,
  budgetRemaining,
  burnRate,
  defaultBurnRateTiers,
  evaluateTiers,
} from './burn-rate.ts'
export {
  formatSloProblem,
  SloError,
  SloInvalidError,
  SloLoadError,
  SloNotFoundError,
  type SloProblem,
} from './errors.ts'
export {
  type OpenSloFile,
  type ParseOpenSloOptions,
  parseOpenSlo,
  parseOpenSloFiles,
} from './openslo-parser.ts'
export {
  FREEZE_ABOVE,
  FREEZE_RECOVERY_WINDOW,
  FREEZE_WINDOW,
  type GateReason,
  type RolloutGate,
  rolloutGate,
} from './rollout-gate.ts'
export { isRollupName, type RollupName, rollupCounters } from './rollup-counters.ts'
export { type SloAlertInput, type SloAlertState, type SloAlertTransition, sloAlerts } from './slo-alerts.ts'
export type { CounterWeights, SloDefinition, SloIndicator, TimeSlice } from './slo-definition.ts'
export {
  evaluateSlo,
  sloCoverage,
  sloWindows,
  timeToExhaustion,
  type WindowSums,
} from './slo-evaluation.ts'
export { worstFirst } from './slo-order.ts'
export type {
  BudgetBurnDown,
  BudgetBurnDownPoint,
  BurnRatePoint,
  BurnRateTierStatus,
  SloBudget,
  SloCoverage,
  SloStatus,
  SloStatusSource,
  WindowBurn,
} from './slo-status.ts'
export {
  type BurnRateCounts,
  createSloStatusReader,
  type SloRollupReader,
  type SloStatusReader,
  type SloStatusReaderOptions,
  type TenantWindowSums,
} from './slo-status-reader.ts'
export { describeSpan, formatWindow, parseWindow } from './window-duration.ts'
