export { canonicalJson, deriveEventId } from './event-id.ts'
export {
  type AnyEvent,
  type AuthEvent,
  type DecisionEvent,
  type EventByKind,
  type EventKind,
  eventKinds,
  eventSchemas,
  type FlowEvent,
  isEventKind,
  type MtlsEvent,
  maxRuleActions,
  type PolicyChangeEvent,
  type PostureEvent,
  ruleAction,
  type TokenEvent,
} from './event-kinds.ts'
export { type FieldDoc, fieldTable, fieldTableMarkdown } from './field-table.ts'
export { maxEventTime, minEventTime } from './fields.ts'
export type { Alert, Finding, Severity } from './finding.ts'
export { canonicalWorkload, partitionKey } from './partition-key.ts'
export type { QuarantinedRecord } from './quarantined-record.ts'
export { defaultRetentionDays, eventTimeProblem, oldestKeptTime, type RetentionDays } from './retention.ts'
export { storedEventProblem } from './stored-event-shape.ts'
export { type ReceiveContext, type ValidationResult, validateEvent } from './validate-event.ts'
