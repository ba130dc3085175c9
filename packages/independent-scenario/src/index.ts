export {
  buildIndependentScenario,
  type IndependentScenario,
  type IndependentScenarioOptions,
} from './build-scenario.ts'
export {
  type IndependentPage,
  type IndependentScore,
  independentScoreReport,
  scoreByEntityAndTime,
} from './entity-time-score.ts'
export type { IntentFile } from './intent-files.ts'
export type { IndependentLabel } from './scenario-label.ts'
export type { IndependentStream } from './scenario-recorder.ts'
