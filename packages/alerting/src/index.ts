export { type AlertFromFindingOptions, alertFromFinding } from './alert-from-finding.ts'
export { dedupKey } from './dedup-key.ts'
export {
  AlertingError,
  IncidentActionInvalidError,
  LabelMatcherInvalidError,
  RoutingConfigInvalidError,
} from './errors.ts'
export {
  type IncidentAction,
  type IncidentActionContext,
  type IncidentActionKind,
  incidentActionKinds,
  MAX_MUTE_MS,
  parseIncidentAction,
  type SilenceMatcher,
} from './incident-action.ts'
export {
  escalationReasons,
  type IncidentFacts,
  incidentFacts,
  mergeFacts,
} from './incident-change.ts'
export { incidentTitle } from './incident-title.ts'
export { createInhibitor, type Inhibitor } from './inhibitor.ts'
export { type LabelMatcher, labelsMatch, parseLabelMatcher } from './label-matcher.ts'
export type { Muter } from './muter.ts'
export {
  createNoiseBudget,
  defaultNoiseBudget,
  type NoiseBudget,
  type NoiseBudgetConfig,
  type NoiseBudgetSpend,
  type NoiseBudgetUsage,
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
export { createRouteCache, routeAlert } from './route-alert.ts'
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
export { createTimeMuter, muteEndsAt } from './time-mute.ts'
export { WATCHDOG_ALERTNAME, watchdogAlert } from './watchdog-alert.ts'
