export { type AlertFromFindingOptions, alertFromFinding } from './alert-from-finding.ts'
export { dedupKey } from './dedup-key.ts'
export { AlertingError, LabelMatcherInvalidError, RoutingConfigInvalidError } from './errors.ts'
export {
  escalationReasons,
  type IncidentFacts,
  incidentFacts,
  mergeFacts,
} from './incident-change.ts'
export { createInhibitor, type Inhibitor } from './inhibitor.ts'
export { type LabelMatcher, labelsMatch, parseLabelMatcher } from './label-matcher.ts'
export type { Muter } from './muter.ts'
export {
  createNoiseBudget,
  defaultNoiseBudget,
  type NoiseBudget,
  type NoiseBudgetConfig,
} from './noise-budget.ts'
export { createNoiseDigests, NOISE_SAMPLE, type NoiseDigest, type NoiseDigests } from './noise-digest.ts'
export {
  createNotificationPlanner,
  type HeldAlert,
  type HeldGroup,
  type Notification,
  type NotificationPlanner,
  type NotificationPlannerOptions,
  type NotifiedBefore,
} from './notification-planner.ts'
export { routeAlert } from './route-alert.ts'
export {
  defaultReceiverEnv,
  type InhibitRule,
  parseRoutingConfig,
  type ReceiverConfig,
  type RouteNode,
  type RoutingConfig,
  type Silence,
} from './routing-config.ts'
export { createSilencer } from './silences.ts'
export { type TimeInterval, type TimePeriod, timeIntervalContains } from './time-interval.ts'
export { createTimeMuter } from './time-mute.ts'
