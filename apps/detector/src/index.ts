export {
  createDetectorRuntime,
  type DetectorRuntime,
  type DetectorRuntimeOptions,
  type RekeyedEvent,
} from './detector-runtime.ts'
export {
  type DetectorService,
  type DetectorServiceConfig,
  type DetectorServiceLog,
  startDetectorService,
} from './detector-service.ts'
export { subscribeDetectors } from './detector-subscription.ts'
export { createSloEvaluator, type SloEvaluator, type SloEvaluatorOptions } from './slo-evaluator.ts'
export { startSloSchedule } from './slo-schedule.ts'
