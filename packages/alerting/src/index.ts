export { type AlertFromFindingOptions, alertFromFinding } from './alert-from-finding.ts'
export { dedupKey } from './dedup-key.ts'
export { AlertingError, LabelMatcherInvalidError, RoutingConfigInvalidError } from './errors.ts'
export { type LabelMatcher, labelsMatch, parseLabelMatcher } from './label-matcher.ts'
export {
  createNotificationPlanner,
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
export { type TimeInterval, type TimePeriod, timeIntervalContains } from './time-interval.ts'
