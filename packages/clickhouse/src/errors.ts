import { PalisadeError, StartupError } from '@palisade/errors'

/** Base of the store's errors: a stable `code`, whether a retry could help, and the cause. */
export class StoreError extends PalisadeError {}

/** A migration file whose content changed after it was applied, or that failed to apply. */
export class MigrationFailedError extends StoreError {
  constructor(message: string, cause?: unknown) {
    super('MIGRATION_FAILED', message, { retriable: false, cause })
  }
}

/** An insert that ClickHouse did not acknowledge; the batch may be retried with the same token. */
export class InsertFailedError extends StoreError {
  constructor(table: string, cause: unknown) {
    super('INSERT_FAILED', `insert into ${table} failed: ${(cause as Error)?.message ?? cause}`, {
      retriable: true,
      cause,
    })
  }
}

/** The embedded engine's data directory is open in another process (chDB allows one per directory). */
export class DataDirectoryInUseError extends StartupError {
  constructor(dataDir: string, holder: string, cause?: unknown) {
    super(
      'DATA_DIR_IN_USE',
      `the data directory ${dataDir} is in use by ${holder}; stop it, or set PALISADE_DATA_DIR to another directory`,
      cause,
    )
  }
}

/**
 * A hunt the store will not run, with the reason said so that the analyst can fix the query: not a
 * SELECT, a table outside the hunt tables, a table function, a SETTINGS override, a range or a scan
 * beyond the bounds. `reason` is a stable word for tests and metrics (`write`, `system_table`, ...).
 */
export class HuntRefusedError extends StoreError {
  readonly reason: string
  constructor(reason: string, message: string, cause?: unknown) {
    super('HUNT_REFUSED', message, { retriable: false, cause })
    this.reason = reason
  }
}
