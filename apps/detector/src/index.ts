export {
  createDetectorRuntime,
  type DetectorRuntime,
  type DetectorRuntimeOptions,
} from './detector-runtime.ts'
export {
  type DetectorService,
  type DetectorServiceConfig,
  type DetectorServiceLog,
  startDetectorService,
} from './detector-service.ts'
export { subscribeDetectors } from './detector-subscription.ts'
export { loadSloDirectory } from './load-slos.ts'
export { createSloEvaluator, type SloEvaluator, type SloEvaluatorOptions } from './slo-evaluator.ts'
export { startSloSchedule } from './slo-schedule.ts'
