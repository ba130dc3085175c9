import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { clusterMigrationsTable, clusterStatements } from './cluster-schema.ts'
import { MigrationFailedError } from './errors.ts'

/** One numbered `.sql` file: `0001_name.sql`. */
export interface Migration {
  version: number
  name: string
  checksum: string
  statements: string[]
}

/** Split a migration into statements: each ends with `;` at the end of a line; `--` comments dropped. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
  return withoutComments
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0)
}

/** Read the migrations of a folder, in version order; refuses gaps and duplicate numbers. */
export function readMigrations(dir: string): Migration[] {
  const files = readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
  return files.map((file, index) => {
    const version = Number(file.slice(0, 4))
    if (version !== index + 1)
      throw new MigrationFailedError(`migration ${file} breaks the numbering (expected ${index + 1})`)
    const text = readFileSync(join(dir, file), 'utf8')
    return {
      version,
      name: file.replace(/\.sql$/, ''),
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    }
  })
}

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /** Folder with the numbered `.sql` files. */
  dir: string
  /** Called once per applied migration. */
  onApplied?: (migration: Migration) => void
  /**
   * A ClickHouse cluster's name (`CLICKHOUSE_CLUSTER`): the schema is created `ON CLUSTER`, as
   * replicated local tables behind distributed ones (see `clusterStatements`). Default: one node.
   */
  cluster?: string
}

/**
 * Apply every migration not yet recorded in `schema_migrations`, in order, and record each. A
 * recorded migration whose file changed since is an error: migrations are append-only.
 * Returns the versions applied by this call.
 */
export async function migrate(client: ClickHouseClient, options: MigrateOptions): Promise<number[]> {
  await client.command({
    query: options.cluster
      ? clusterMigrationsTable(options.cluster)
      : `CREATE TABLE IF NOT EXISTS schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
      ENGINE = MergeTree ORDER BY version`,
  })
  const result = await client.query({
    query: 'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    format: 'JSONEachRow',
  })
  const applied = new Map(
    (await result.json<{ version: number; name: string; checksum: string }>()).map((row) => [
      row.version,
      row,
    ]),
  )
  const done: number[] = []
  // Tables of every migration so far, applied or not: a later view reads their local tables.
  const clusterTables: string[] = []
  for (const migration of readMigrations(options.dir)) {
    const statements = options.cluster
      ? clusterStatements(migration.statements, options.cluster, clusterTables)
      : migration.statements
    const recorded = applied.get(migration.version)
    if (recorded) {
      if (recorded.checksum !== migration.checksum) {
        throw new MigrationFailedError(
          `migration ${migration.name} changed after it was applied; add a new migration instead`,
        )
      }
      continue
    }
    for (const statement of statements) {
      try {
        await client.command({ query: statement })
      } catch (error) {
        throw new MigrationFailedError(
          `migration ${migration.name} failed: ${(error as Error).message}`,
          error,
        )
      }
    }
    await client.insert({
      table: 'schema_migrations',
      values: [
        {
          version: migration.version,
          name: migration.name,
          checksum: migration.checksum,
          applied_at: Date.now(),
        },
      ],
      format: 'JSONEachRow',
    })
    options.onApplied?.(migration)
    done.push(migration.version)
  }
  return done
}
