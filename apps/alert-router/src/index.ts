export {
  type AlertRouter,
  type AlertRouterLog,
  type AlertRouterOptions,
  createAlertRouter,
} from './alert-router.ts'
export { type AlertRouterMetrics, createAlertRouterMetrics } from './alert-router-metrics.ts'
export { type AlertRouterService, startAlertRouterService } from './alert-router-service.ts'
export {
  type AlertmanagerApiOptions,
  alertFromAlertmanager,
  mountAlertmanagerApi,
} from './alertmanager-api.ts'
export { type ApiMatcher, type ApiSilence, type ApiSilences, createApiSilences } from './api-silences.ts'
export { subscribeAlertRouter } from './bus-subscription.ts'
export {
  type AlertRouterConfig,
  defaultRoutingFile,
  type ReceiverTarget,
  readAlertRouterConfig,
} from './config.ts'
export {
  AlertmanagerRequestInvalidError,
  AlertRouterError,
  AlertRouterNotRunningError,
  ReceiverNotConfiguredError,
  ReceiverRejectedError,
  ReceiverUnavailableError,
} from './errors.ts'
export { createReceivers, type ReceiverDefaults } from './receivers/create-receivers.ts'
export {
  defaultRetryPolicy,
  deliverWithRetry,
  type RetryEnvironment,
  type RetryPolicy,
} from './receivers/deliver-with-retry.ts'
export {
  createOpsgenieReceiver,
  type OpsgenieReceiverOptions,
  opsgenieApiUrl,
  opsgenieRequest,
} from './receivers/opsgenie-alerts-v2.ts'
export {
  createPagerDutyReceiver,
  type PagerDutyReceiverOptions,
  pagerDutyEvent,
  pagerDutyEventsUrl,
} from './receivers/pagerduty-events-v2.ts'
export { type PostJsonOptions, parseRetryAfter, postJson } from './receivers/post-json.ts'
export type { DeliveryResult, Receiver } from './receivers/receiver.ts'
export { createSlackReceiver, type SlackReceiverOptions, slackMessage } from './receivers/slack-webhook.ts'
export { createTeamsReceiver, type TeamsReceiverOptions, teamsMessage } from './receivers/teams-webhook.ts'
export { createWebhookReceiver, type WebhookReceiverOptions, webhookBody } from './receivers/webhook.ts'
