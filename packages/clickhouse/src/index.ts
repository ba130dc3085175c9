export type { ClickHouseClient } from '@clickhouse/client'
export { type ApiKeyStore, createApiKeyStore, type StoredApiKey } from './api-key-store.ts'
export {
  AUDIT_GENESIS,
  type AuditEntry,
  type AuditLog,
  type AuditRow,
  type AuditVerdict,
  auditRowHash,
  createAuditLog,
  verifyAuditChain,
} from './audit-log.ts'
export { type Checkpoint, type CheckpointStore, createCheckpointStore } from './checkpoint-store.ts'
export { type ClickHouseTarget, clickHouseAnswers, openClickHouse } from './clickhouse-connection.ts'
export {
  clusterMigrationsTable,
  clusterShardKeys,
  clusterStatement,
  clusterStatements,
  isClusterName,
  localTable,
} from './cluster-schema.ts'
export type {
  DashboardQuery,
  DashboardQueryParams,
  DashboardRow,
  EdgeMtlsState,
  ServiceEdgeFilter,
} from './dashboard-queries.ts'
export { edgeMtlsStates } from './dashboard-queries.ts'
export {
  DataDirectoryInUseError,
  HuntRefusedError,
  InsertFailedError,
  MigrationFailedError,
  StoreError,
} from './errors.ts'
export { applyEventRetention } from './event-retention.ts'
export {
  createEventWriter,
  type EventIdProbe,
  type EventWriteOptions,
  type EventWriteResult,
  type EventWriter,
  type EventWriterOptions,
  eventTables,
  findStoredEventIds,
} from './event-writer.ts'
export { createFindingStore, type FindingQuery, type FindingStore } from './finding-store.ts'
export { type CheckedHunt, checkHunt, MAX_HUNT_LENGTH } from './hunt-guard.ts'
export {
  activeTenants,
  defaultHuntLimits,
  describeHuntTables,
  type HuntFilter,
  type HuntLimits,
  type HuntRequest,
  type HuntResult,
  type HuntTableDescription,
  runHunt,
} from './hunt-query.ts'
export { type HuntTableName, huntTables, isHuntTableName } from './hunt-tables.ts'
export { createHuntTestRunner } from './hunt-test-runner.ts'
export {
  createIncidentActionLog,
  type IncidentActionLog,
  type IncidentActionRecord,
} from './incident-action-log.ts'
export {
  type EntityKind,
  type EntityPage,
  entityKinds,
  type IncidentTimeline,
  type InvestigationRange,
  MAX_EVIDENCE_IDS,
  queryEntityPage,
  queryEventsByIds,
  queryFindingById,
  queryIncidentTimeline,
  type StoredEvent,
  type TimelineKind,
  type TimelineRow,
  timelineKinds,
} from './investigation-queries.ts'
export {
  type MigrateOptions,
  type Migration,
  migrate,
  readMigrations,
  splitStatements,
} from './migrations.ts'
export { migrationsDir } from './migrations-dir.ts'
export {
  createNoiseBudgetLog,
  type NoiseBudgetLog,
  type NoiseBudgetSpendRecord,
} from './noise-budget-log.ts'
export {
  createNotificationLedger,
  type IncidentQuery,
  type IncidentSummary,
  type NotificationLedger,
  type NotificationRecord,
} from './notification-ledger.ts'
// Dashboards declare any panel query: the core panels' and the debug and executive dashboards'.
export {
  isPanelQueryName as isDashboardQueryName,
  type PanelQueryName as DashboardQueryName,
  panelQueries as dashboardQueries,
} from './panel-queries.ts'
export { createQuarantineWriter, type QuarantineWriter, quarantineRecordId } from './quarantine-writer.ts'
export { queryRequestTimeline, type RequestTimelineRow } from './request-timeline-query.ts'
export {
  createSavedHuntStore,
  newSavedHuntId,
  type SavedHunt,
  type SavedHuntInput,
  type SavedHuntStore,
} from './saved-hunt-store.ts'
export { createSessionTable, type SessionTable, type StoredSession } from './session-table.ts'
export { createSilenceStore, type SilenceRecord, type SilenceStore } from './silence-store.ts'
export { createSloRollupReader, type SloRollupReaderOptions } from './slo-rollup-reader.ts'
export {
  type BurnRateSeriesPoint,
  type BurnRateSeriesQuery,
  queryBurnRateSeries,
  querySloWindows,
  querySloWindowsOfEach,
  type SloRatioSelector,
  type SloRollup,
  type SloWindowQuery,
  type SloWindowRow,
  sloRollupTables,
} from './slo-window-query.ts'
