export type { ClickHouseClient } from '@clickhouse/client'
export { type Checkpoint, type CheckpointStore, createCheckpointStore } from './checkpoint-store.ts'
export { type ClickHouseTarget, clickHouseAnswers, openClickHouse } from './clickhouse-connection.ts'
export {
  type DashboardQuery,
  type DashboardQueryName,
  type DashboardQueryParams,
  type DashboardRow,
  dashboardQueries,
  isDashboardQueryName,
} from './dashboard-queries.ts'
export { DataDirectoryInUseError, InsertFailedError, MigrationFailedError, StoreError } from './errors.ts'
export { applyEventRetention } from './event-retention.ts'
export {
  createEventWriter,
  type EventWriteResult,
  type EventWriter,
  type EventWriterOptions,
  eventTables,
} from './event-writer.ts'
export { createFindingStore, type FindingQuery, type FindingStore } from './finding-store.ts'
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
  createNotificationLedger,
  type IncidentQuery,
  type IncidentSummary,
  type NotificationLedger,
  type NotificationRecord,
} from './notification-ledger.ts'
export { createQuarantineWriter, type QuarantineWriter, quarantineRecordId } from './quarantine-writer.ts'
export { createSilenceStore, type SilenceRecord, type SilenceStore } from './silence-store.ts'
export { createSloRollupReader } from './slo-rollup-reader.ts'
export {
  type BurnRateSeriesPoint,
  type BurnRateSeriesQuery,
  queryBurnRateSeries,
  querySloWindows,
  type SloRatioSelector,
  type SloRollup,
  type SloWindowQuery,
  type SloWindowRow,
  sloRollupTables,
} from './slo-window-query.ts'
